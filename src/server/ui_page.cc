#include "server/ui_page.h"

#include <nlohmann/json.hpp>

namespace fenlei::server {
namespace {

// The page. "__MODELS__" is replaced by a JSON array of the served model names.
constexpr const char* kPage = R"html(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>fenlei: try a model</title>
<style>
:root { --fg: #222; --muted: #666; --line: #ddd; --accent: #0072B2; --bad: #D55E00; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fafafa;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
  "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 12px 24px;
  display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; }
header h1 { font-size: 18px; margin: 0; }
header h1 span { color: var(--muted); font-weight: normal; }
label { color: var(--muted); font-size: 13px; }
select, textarea, button { font: inherit; }
select { padding: 4px 6px; }
#info { color: var(--muted); font-size: 13px; }
main { max-width: 960px; padding: 16px 24px 40px; }
textarea { width: 100%; min-height: 7.5em; padding: 8px 10px; border: 1px solid #bbb;
  border-radius: 6px; background: #fff; resize: vertical; }
.controls { display: flex; gap: 12px; align-items: center; margin: 8px 0 16px; }
button { background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: 7px 18px;
  cursor: pointer; }
button:disabled { background: #8ab; cursor: default; }
#status { color: var(--muted); font-size: 13px; }
#error { color: var(--bad); white-space: pre-wrap; }
.result { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px;
  margin: 10px 0; }
.result .text { font-size: 17px; line-height: 2; margin-bottom: 6px; overflow-wrap: anywhere; }
.tok { border-radius: 3px; padding: 1px 1px; }
.tok.unk { text-decoration: underline dotted; }
.bars { display: grid; grid-template-columns: minmax(60px, max-content) 1fr 4.5em; gap: 3px 10px;
  align-items: center; font-size: 13px; }
.bar { height: 12px; background: #eee; border-radius: 3px; overflow: hidden; }
.bar > div { height: 100%; background: var(--accent); }
.bars .first { font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.legend { color: var(--muted); font-size: 12px; margin-top: 6px; }
.scale { display: inline-block; width: 100px; height: 9px; vertical-align: middle;
  background: linear-gradient(90deg, #D55E00, #fff, #0072B2); border: 1px solid var(--line); }
</style></head>
<body>
<header><h1>fenlei <span>try a model</span></h1>
<div><label for="model">model</label> <select id="model"></select></div>
<div id="info"></div></header>
<main>
<textarea id="input" placeholder="Type or paste texts, one per line" spellcheck="false"></textarea>
<div class="controls"><button id="run" type="button">Classify</button>
<span id="status">Ctrl+Enter classifies too.</span></div>
<div id="error" role="alert"></div>
<div id="results" aria-live="polite"></div>
<p class="legend">Words are coloured by how much the top label's probability drops without them:
<span class="scale"></span> red against, blue for. Dotted: not in the vocabulary.</p>
</main>
<script id="models" type="application/json">__MODELS__</script>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const models = JSON.parse($("models").textContent);
const MAX_EXPLAIN = 32;  // the server explains at most 32 texts per request
let labelCount = 5;

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

async function call(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const reply = await response.json();
  if (!response.ok) throw new Error(reply.error || ("HTTP " + response.status));
  return reply;
}

// White to blue (for the label) or red (against), by weight relative to the heaviest token.
function tokenColor(share) {
  const base = share >= 0 ? [0, 114, 178] : [213, 94, 0];
  const t = Math.min(1, Math.abs(share)) * 0.85;
  const c = base.map((v) => Math.round(255 + (v - 255) * t));
  return "rgb(" + c.join(",") + ")";
}

function isWordChar(ch) { return /[A-Za-z0-9]/.test(ch); }

function renderTokens(container, explanation) {
  const heaviest = Math.max(1e-6, ...explanation.tokens.map((t) => Math.abs(t.weight)));
  explanation.tokens.forEach((t, i) => {
    const prev = i > 0 ? explanation.tokens[i - 1].token : "";
    if (prev && t.token && isWordChar(prev.slice(-1)) && isWordChar(t.token[0])) {
      container.appendChild(document.createTextNode(" "));
    }
    const span = el("span", t.known ? "tok" : "tok unk", t.token);
    const share = t.weight / heaviest;
    span.style.background = tokenColor(share);
    if (Math.abs(share) > 0.6) span.style.color = "#fff";
    span.title = (t.weight >= 0 ? "+" : "") + t.weight.toFixed(3) + (t.known ? "" : " (not in the vocabulary)");
    container.appendChild(span);
  });
  if (explanation.truncated) container.appendChild(el("span", "tok", " …"));
}

function renderResult(text, prediction, explanation) {
  const card = el("div", "result");
  const textBox = el("div", "text");
  if (explanation) renderTokens(textBox, explanation); else textBox.textContent = text;
  card.appendChild(textBox);
  const bars = el("div", "bars");
  prediction.top_k.forEach((s, i) => {
    bars.appendChild(el("div", i === 0 ? "label first" : "label", s.label));
    const bar = el("div", "bar");
    const fill = el("div");
    fill.style.width = (100 * s.score).toFixed(1) + "%";
    bar.appendChild(fill);
    bars.appendChild(bar);
    bars.appendChild(el("div", "num", (100 * s.score).toFixed(1) + "%"));
  });
  card.appendChild(bars);
  return card;
}

async function classify() {
  const model = $("model").value;
  const texts = $("input").value.split("\n").map((t) => t.trim()).filter((t) => t.length > 0);
  $("error").textContent = "";
  if (texts.length === 0) { $("status").textContent = "Type a text first."; return; }
  $("run").disabled = true;
  $("status").textContent = "Classifying " + texts.length + (texts.length === 1 ? " text…" : " texts…");
  const base = "/v1/models/" + encodeURIComponent(model);
  try {
    const predicted = await call(base + ":predict", {instances: texts, k: Math.min(5, labelCount)});
    const explained = await call(base + ":explain", {instances: texts.slice(0, MAX_EXPLAIN)});
    const results = $("results");
    results.replaceChildren();
    predicted.predictions.forEach((p, i) => {
      results.appendChild(renderResult(texts[i], p, explained.explanations[i]));
    });
    $("status").textContent = texts.length > MAX_EXPLAIN
        ? "Words coloured for the first " + MAX_EXPLAIN + " texts." : "";
  } catch (e) {
    $("error").textContent = String(e.message || e);
    $("status").textContent = "";
  } finally {
    $("run").disabled = false;
  }
}

async function showInfo() {
  const model = $("model").value;
  $("info").textContent = "";
  try {
    const m = await call("/v1/models/" + encodeURIComponent(model) + "/metadata");
    labelCount = m.labels.length;
    $("info").textContent = m.architecture +
        (m.precision && m.precision !== "float32" ? " (" + m.precision + ")" : "") + " · " +
        m.labels.length + " labels: " + m.labels.slice(0, 8).join(", ") +
        (m.labels.length > 8 ? ", …" : "") + " · version " + m.version;
  } catch (e) {
    $("error").textContent = String(e.message || e);
  }
}

for (const name of models) $("model").appendChild(el("option", "", name));
$("model").addEventListener("change", () => { $("results").replaceChildren(); showInfo(); });
$("run").addEventListener("click", classify);
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); classify(); }
});
showInfo();
</script>
</body></html>
)html";

}  // namespace

std::string ui_page_html(const std::vector<std::string>& model_names) {
  // "<" escaped so that no name can close the <script> element it sits in.
  std::string names = nlohmann::json(model_names).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  std::string escaped;
  for (char c : names) escaped += c == '<' ? std::string("\\u003c") : std::string(1, c);
  std::string page = kPage;
  const std::string placeholder = "__MODELS__";
  page.replace(page.find(placeholder), placeholder.size(), escaped);
  return page;
}

}  // namespace fenlei::server
