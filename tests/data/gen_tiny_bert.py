#!/usr/bin/env python3
"""Writes the tiny BERT fixtures of tests/test_model_ckpt.c with the standard
library only (struct, json): an independent safetensors writer.

  tiny_bert/model.safetensors + config.json       BertForSequenceClassification
      names ("bert." prefix), F32, plus bert.pooler.* and an I64
      bert.embeddings.position_ids (to be ignored); no classifier (to be
      initialised); 3 labels via id2label.
  tiny_bertmodel/model.safetensors + config.json  BertModel names (no prefix),
      F16 values, num_labels 2.

Value of element i of the t-th tensor written (0-based, header order):
  (((i * 7 + t * 3) % 23) - 11) / 64     (exact in F16 and F32)
Run once: python3 gen_tiny_bert.py (from this directory).
"""
import json
import os
import struct

VOCAB, HIDDEN, LAYERS, HEADS, FFN, POS, TYPES = 20, 8, 2, 2, 16, 12, 2


def tensors(prefix):
    out = [
        (prefix + "embeddings.word_embeddings.weight", [VOCAB, HIDDEN]),
        (prefix + "embeddings.position_embeddings.weight", [POS, HIDDEN]),
        (prefix + "embeddings.token_type_embeddings.weight", [TYPES, HIDDEN]),
        (prefix + "embeddings.LayerNorm.weight", [HIDDEN]),
        (prefix + "embeddings.LayerNorm.bias", [HIDDEN]),
    ]
    for l in range(LAYERS):
        p = f"{prefix}encoder.layer.{l}."
        for name in ("query", "key", "value"):
            out.append((p + f"attention.self.{name}.weight", [HIDDEN, HIDDEN]))
            out.append((p + f"attention.self.{name}.bias", [HIDDEN]))
        out += [
            (p + "attention.output.dense.weight", [HIDDEN, HIDDEN]),
            (p + "attention.output.dense.bias", [HIDDEN]),
            (p + "attention.output.LayerNorm.weight", [HIDDEN]),
            (p + "attention.output.LayerNorm.bias", [HIDDEN]),
            (p + "intermediate.dense.weight", [FFN, HIDDEN]),
            (p + "intermediate.dense.bias", [FFN]),
            (p + "output.dense.weight", [HIDDEN, FFN]),
            (p + "output.dense.bias", [HIDDEN]),
            (p + "output.LayerNorm.weight", [HIDDEN]),
            (p + "output.LayerNorm.bias", [HIDDEN]),
        ]
    out += [(prefix + "pooler.dense.weight", [HIDDEN, HIDDEN]), (prefix + "pooler.dense.bias", [HIDDEN])]
    return out


def value(t, i):
    return (((i * 7 + t * 3) % 23) - 11) / 64.0


def write(path, items, dtype, extra_i64=None):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    fmt, size = {"F32": ("<f", 4), "F16": ("<e", 2)}[dtype]
    for t, (name, shape) in enumerate(items):
        count = 1
        for d in shape:
            count *= d
        data = b"".join(struct.pack(fmt, value(t, i)) for i in range(count))
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    if extra_i64:
        name, n = extra_i64
        data = b"".join(struct.pack("<q", i) for i in range(n))
        header[name] = {"dtype": "I64", "shape": [1, n], "data_offsets": [off, off + len(data)]}
        blobs.append(data)
    hdr = json.dumps(header, separators=(",", ":")).encode()
    hdr += b" " * (-len(hdr) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hdr)))
        f.write(hdr)
        for b in blobs:
            f.write(b)


def config(path, labels):
    cfg = {
        "architectures": ["BertForSequenceClassification"],
        "model_type": "bert",
        "hidden_size": HIDDEN,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "intermediate_size": FFN,
        "vocab_size": VOCAB,
        "max_position_embeddings": POS,
        "type_vocab_size": TYPES,
        "layer_norm_eps": 1e-12,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
    }
    if labels:
        cfg["id2label"] = {str(i): f"LABEL_{i}" for i in range(labels)}
        cfg["label2id"] = {f"LABEL_{i}": i for i in range(labels)}
    else:
        cfg["num_labels"] = 2
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)


os.makedirs("tiny_bert", exist_ok=True)
os.makedirs("tiny_bertmodel", exist_ok=True)
write("tiny_bert/model.safetensors", tensors("bert."), "F32", ("bert.embeddings.position_ids", POS))
config("tiny_bert/config.json", 3)
write("tiny_bertmodel/model.safetensors", tensors(""), "F16")
config("tiny_bertmodel/config.json", 0)
