// The page's CSS. System fonts only (a CJK-capable one where the system has it), so nothing is
// fetched; print rules keep charts whole and drop the navigation.
#include "report/report_sections.h"

namespace fenlei::report {

const char* report_css() {
  return R"css(
:root { --fg: #222; --muted: #666; --line: #ddd; --bg: #fff; --panel: #f8f8f8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); line-height: 1.45;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
  "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; }
header { padding: 16px 24px 8px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0; font-size: 20px; word-break: break-all; }
nav a { margin-right: 14px; color: #0072B2; text-decoration: none; font-weight: 600; }
main { padding: 0 24px 32px; max-width: 1200px; }
section { margin-top: 24px; }
h2 { font-size: 17px; border-bottom: 2px solid #0072B2; padding-bottom: 2px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
.muted { color: var(--muted); }
.note { color: var(--muted); font-size: 13px; max-width: 70em; }
.grid { display: flex; flex-wrap: wrap; gap: 12px 28px; align-items: flex-start; }
.figure { max-width: 100%; }
.figure svg { max-width: 100%; height: auto; }
.figure .caption { color: var(--muted); font-size: 12px; max-width: 460px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--line);
  vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.card th { color: var(--muted); font-weight: normal; white-space: nowrap; }
table.card td { overflow-wrap: anywhere; }  /* long JSON values must not widen the page */
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0; }
.stat { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
.stat b { display: block; font-size: 18px; }
.stat span { color: var(--muted); font-size: 12px; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 8px; overflow-x: auto;
  font-size: 12px; max-height: 30em; }
details { margin: 8px 0; }
summary { cursor: pointer; color: #0072B2; }
.example { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 8px 0;
  break-inside: avoid; }
.example .meta { font-size: 12px; color: var(--muted); margin-bottom: 4px; }
.example .text { font-size: 15px; line-height: 1.9; }
.tok { border-radius: 3px; padding: 1px 1px; }
.tok.unk { text-decoration: underline dotted; }
.pill { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; }
.pill.truth { background: #dbeaf5; }
.pill.pred { background: #f8dccd; }
.scale { display: inline-block; width: 120px; height: 10px; vertical-align: middle;
  background: linear-gradient(90deg, #D55E00, #fff, #0072B2); border: 1px solid var(--line); }
svg text { font-size: 12px; fill: var(--fg); }
svg text.tick { font-size: 11px; fill: var(--muted); }
svg text.axis-title { font-size: 12px; fill: var(--muted); }
svg text.legend { font-size: 12px; }
svg text.cell { font-size: 11px; }
svg text.cell.small { font-size: 9px; }
svg text.muted { fill: var(--muted); }
svg text.marker-label { font-size: 11px; fill: #555; }
svg line.grid { stroke: #eee; }
svg line.axis { stroke: #999; }
svg line.marker { stroke: #555; stroke-dasharray: 4 3; }
svg line.diagonal { stroke: #555; stroke-dasharray: 4 3; }
svg polyline.series { stroke-width: 2; }
svg polyline.series.dashed { stroke-dasharray: 6 4; }
@media print {
  nav { display: none; }
  main { max-width: none; }
  section, .figure, table { break-inside: avoid; }
  details { display: block; }
  details > summary { list-style: none; }
  a { color: inherit; }
}
)css";
}

}  // namespace fenlei::report
