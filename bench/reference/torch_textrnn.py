#!/usr/bin/env python3
"""PyTorch reference for fenlei's recurrent presets (issue 15): bilstm (BiLSTM + attention
pooling, Zhou et al. 2016), gru (BiGRU + attention) and rcnn (Lai et al. 2015), the same shapes
as fenlei's defaults (embedding 128, 128 units per direction, rcnn projection 128, dropout 0.5
on the pooled features). Idiomatic PyTorch: nn.LSTM/nn.GRU over pack_padded_sequence, so, like
fenlei, no recurrent work is spent on padding.

  --speed / --accuracy / --inference   torch_textcnn.py's modes, flags and JSON; for fenlei's
               recipe in --accuracy add --epochs 10 --monitor valid_loss --patience 2

Prints one JSON object on stdout; progress goes to stderr. CPU only.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import recurrent_nets  # noqa: E402  (forward_flops)
import torch_textcnn as ref  # noqa: E402  (data path, loss, Adam, the modes and the CLI)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402


class TextRnn(nn.Module):
    def __init__(self, kind, vocab_rows, out_dim, emb=128, hidden=128, proj=128, dropout=0.5):
        super().__init__()
        self.kind = kind
        self.emb = nn.Embedding(vocab_rows, emb, padding_idx=0)
        cell = nn.GRU if kind == "gru" else nn.LSTM
        self.rnn = cell(emb, hidden, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)
        if kind == "rcnn":
            self.proj = nn.Linear(2 * hidden + emb, proj)
            self.fc = nn.Linear(proj, out_dim)
        else:
            self.att = nn.Parameter(torch.zeros(2 * hidden))
            self.fc = nn.Linear(2 * hidden, out_dim)
        self.hidden = hidden
        self.shape = dict(emb=emb, hidden=hidden, rcnn_hidden=proj)  # recurrent_nets.forward_flops

    def forward(self, x):
        lengths = (x != 0).sum(1).clamp(min=1)
        e = self.emb(x)
        packed = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]  # (B, L)
        if self.kind == "rcnn":
            h = self.hidden
            left = torch.cat([torch.zeros_like(out[:, :1, :h]), out[:, :-1, :h]], 1)
            right = torch.cat([out[:, 1:, h:], torch.zeros_like(out[:, :1, h:])], 1)
            y = torch.tanh(self.proj(torch.cat([left, e, right], 2)))
            feat = y.masked_fill(~mask[:, :, None], float("-inf")).amax(1)
        else:
            s = (torch.tanh(out) * self.att).sum(2).masked_fill(~mask, float("-inf"))
            feat = (torch.softmax(s, 1)[:, :, None] * out).sum(1)
        return self.fc(self.drop(feat))


def make_model(kind, vocab_rows, num_classes):
    """fenlei's initialisation where it has one (src/nn/recurrent_params.cc): torch's default
    U(+-1/sqrt(hidden)) for the recurrent weights, the LSTM forget-gate bias at 1 and the other
    LSTM biases at 0; the embedding and Linear layers as the CNN references (Keras defaults)."""
    model = TextRnn(kind, vocab_rows, 1 if num_classes == 2 else num_classes)
    ref.keras_init(model.emb)
    for m in (model.fc, getattr(model, "proj", None)):
        if m is not None:
            ref.keras_init(m)
    if kind != "gru":
        h = model.hidden
        for name, b in model.rnn.named_parameters():
            if name.startswith("bias"):
                with torch.no_grad():
                    b.zero_()
                    if name.startswith("bias_ih"):
                        b[h:2 * h] = 1.0  # torch's gate order is i, f, g, o
    return model


def main():
    ref.forward_flops = recurrent_nets.forward_flops  # --speed's FLOP rate
    ref.run_main(__doc__, ["bilstm", "gru", "rcnn"], common.DATASETS + ["sst2_en", "trec_en"],
                 "chnsenticorp_htl", 10, make_model)


if __name__ == "__main__":
    main()
