#!/usr/bin/env python3
"""PyTorch references for issue #15's recurrent networks, with torch_textcnn.py's data path,
init, optimiser, modes and JSON output (so a fenlei preset of the same network compares
one to one):

  --model textrnn       BiLSTM (Liu et al. 2016): last forward + last backward state -> Linear
  --model textrnn-att   BiLSTM + attention (Zhou et al. 2016): alpha = softmax(w . tanh(H)),
                        r = tanh(sum_t alpha_t H_t) -> Linear
  --model gru           BiGRU: last forward + last backward state -> Linear
  --model rcnn          RCNN (Lai et al. 2015): [BiLSTM context; embedding] -> Linear(200) ->
                        tanh -> max over time -> Linear

  --speed / --accuracy / --inference   as in torch_textcnn.py

128-dim embeddings, 128 hidden units per direction. Texts are padded to --maxlen for batching
but the recurrences read packed sequences (each text at its own length, pad never enters a
state) and attention / max pooling mask the pad positions, as a ragged implementation does.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import torch_textcnn as ref  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

MODELS = ["textrnn", "textrnn-att", "gru", "rcnn"]


class Recurrent(nn.Module):
    def __init__(self, kind, vocab_rows, out_dim, emb=128, hidden=128, rcnn_hidden=200):
        super().__init__()
        self.kind = kind
        self.emb = nn.Embedding(vocab_rows, emb)
        cell = nn.GRU if kind == "gru" else nn.LSTM
        self.rnn = cell(emb, hidden, batch_first=True, bidirectional=True)
        feat = 2 * hidden
        if kind == "textrnn-att":
            self.att = nn.Linear(2 * hidden, 1, bias=False)
        if kind == "rcnn":
            self.proj = nn.Linear(2 * hidden + emb, rcnn_hidden)
            feat = rcnn_hidden
        self.fc = nn.Linear(feat, out_dim)
        self.shape = dict(emb=emb, hidden=hidden, rcnn_hidden=rcnn_hidden)

    def forward(self, ids):
        lengths = (ids != common.PAD).sum(1).clamp(min=1)  # an empty text reads one pad step
        x = self.emb(ids)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        if self.kind in ("textrnn", "gru"):
            h = state if self.kind == "gru" else state[0]  # (2, B, hidden): last fwd, last bwd
            return self.fc(torch.cat([h[0], h[1]], dim=1))
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        mask = torch.arange(ids.shape[1])[None, :] < lengths[:, None]  # (B, L)
        if self.kind == "textrnn-att":
            scores = self.att(torch.tanh(out)).squeeze(2).masked_fill(~mask, float("-inf"))
            alpha = torch.softmax(scores, dim=1)
            return self.fc(torch.tanh((alpha.unsqueeze(2) * out).sum(1)))
        y = torch.tanh(self.proj(torch.cat([out, x], dim=2)))  # rcnn
        y = y.masked_fill(~mask.unsqueeze(2), float("-inf"))
        return self.fc(y.amax(dim=1))


def forward_flops(model, maxlen, out_dim):
    s, kind = model.shape, model.kind
    gates = 3 if kind == "gru" else 4
    per_step = 2 * 2 * gates * s["hidden"] * (s["emb"] + s["hidden"])  # two directions
    f = maxlen * per_step
    if kind == "rcnn":
        f += maxlen * 2 * (2 * s["hidden"] + s["emb"]) * s["rcnn_hidden"]
        return f + 2 * s["rcnn_hidden"] * out_dim
    return f + 2 * 2 * s["hidden"] * out_dim


def make_model(kind, vocab_rows, num_classes):
    out_dim = 1 if num_classes == 2 else num_classes
    model = Recurrent(kind, vocab_rows, out_dim)
    # Embeddings and Linear layers as the CNN references (Keras defaults); the RNNs keep torch's.
    for m in model.modules():
        if isinstance(m, nn.Embedding):
            nn.init.uniform_(m.weight, -0.05, 0.05)
        elif isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


def main():
    ref.forward_flops = forward_flops  # torch_textcnn's --speed mode reads it for its FLOP rate
    ref.run_main(__doc__, MODELS, common.DATASETS + ["sst2_en", "trec_en"], "chnsenticorp_htl", 8,
                 make_model)


if __name__ == "__main__":
    main()
