#!/usr/bin/env python3
"""tests/data/tokenizer_gen.py — independent reference for ptc's BERT tokenizer.

Written from the published description of BERT's uncased tokenizer (Devlin et
al. 2019; the BasicTokenizer + WordpieceTokenizer algorithm as released with
BERT), with only the Python standard library (unicodedata). It is NOT a port
of datasets/tokenizer.c: it works on Python strings, uses str.lower() (full
case mapping, final sigma) and unicodedata for NFD and categories, where the C
code uses utf8proc.

Conventions it fixes (the C code must agree):
  * input bytes are decoded as UTF-8 with errors='replace'; every U+FFFD (and
    U+0000) is then dropped by the clean step, so invalid bytes vanish without
    splitting the word they sit in;
  * control = category C* except TAB/LF/CR (which are whitespace), dropped;
  * whitespace = space, TAB, LF, CR or category Zs, becomes a space;
  * CJK ideographs (BERT's ranges) become their own words;
  * lowercase, NFD, drop Mn (accents); split on punctuation (ASCII 33-47,
    58-64, 91-96, 123-126, or category P*);
  * WordPiece: greedy longest match, continuation pieces prefixed '##',
    a word longer than 100 code points or with an unmatched rest -> [UNK];
  * encode: [CLS] + first (max_len - 2) pieces + [SEP].

Usage: tokenizer_gen.py VOCAB MAX_LEN > fixture.tsv
Output lines: name<TAB>input as hex bytes<TAB>space-separated ids.
"""
import sys
import unicodedata

CASES = [
    ("empty", b""),
    ("spaces_only", b"   \t \n "),
    ("plain", b"Hello world"),
    ("accents", "Héllo Wörld naïve café".encode()),
    ("punct", b"don't!!! U.S.A. (a)[b]{c}"),
    ("ascii_punct_symbols", b"$5 + 3 = 8 ^_^ `x` ~y~ a|b <c> @d #e"),
    ("cjk", "我爱北京天安门".encode()),
    ("cjk_mixed", "BERT是一个模型, really".encode()),
    ("emoji", "👍🏽 🤖".encode()),
    ("long_word", b"a" * 150),
    ("long_word_100", b"b" * 100),
    ("long_word_101", b"c" * 101),
    ("numbers", b"3.14159 1,000,000 2023-11-24 42nd 7x"),
    ("greek", "Καλημέρα κόσμε ΟΔΟΣ".encode()),
    ("cyrillic", "Привет, мир! Ёлка".encode()),
    ("arabic", "مرحبا بالعالم".encode()),
    ("control", b"tab\there\x01bell\x07 nul\x00x del\x7f cr\r\nlf"),
    ("format_chars", "zero\u200bwidth soft\u00adhyphen".encode()),
    ("invalid_utf8", b"ab\xffcd \xc3( \xe4\xb8 ok \xed\xa0\x80 end\x80"),
    ("truncated_tail", b"caf\xc3"),
    ("fffd_literal", "x\ufffdy".encode()),
    ("unicode_space", "a\u00a0b\u3000c\u2003d".encode()),
    ("dotted_i", "İstanbul".encode()),
    ("wordpiece", b"unaffable tokenization playing"),
    ("unknown_script", "ᚠᛇᚻ᛫ᛒᛦᚦ".encode()),
    ("unicode_punct", "«quoted» — dash… ¿qué?".encode()),
    ("combining", "e\u0301cole A\u030a".encode()),
    ("fullwidth", "ＡＢＣ１２３".encode()),
    ("repeated_punct", b"wait...what?!?! --- ok"),
    ("apostrophes", "it’s rock’n’roll".encode()),
    ("url_email", b"see https://example.com/a?b=c or me@x.org"),
    ("long_text", b" ".join(b"word%d" % i for i in range(400))),
]


def is_whitespace(ch):
    if ch in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(ch) == "Zs"


def is_control(ch):
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


CJK = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
       (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]


def is_cjk(cp):
    return any(lo <= cp <= hi for lo, hi in CJK)


def basic_tokenize(text):
    cleaned = []
    for ch in text:
        if ord(ch) == 0 or ord(ch) == 0xFFFD or is_control(ch):
            continue
        cleaned.append(" " if is_whitespace(ch) else ch)
    spaced = []
    for ch in cleaned:
        if is_cjk(ord(ch)):
            spaced += [" ", ch, " "]
        else:
            spaced.append(ch)
    words = []
    for tok in "".join(spaced).split(" "):
        if not tok:
            continue
        tok = unicodedata.normalize("NFD", tok.lower())
        tok = "".join(c for c in tok if unicodedata.category(c) != "Mn")
        cur = []
        for ch in tok:
            if is_punctuation(ch):
                if cur:
                    words.append("".join(cur))
                    cur = []
                words.append(ch)
            else:
                cur.append(ch)
        if cur:
            words.append("".join(cur))
    return words


def wordpiece(word, vocab, unk):
    if len(word) > 100:
        return [unk]
    out, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end]
            if start > 0:
                piece = "##" + piece
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [unk]
        out.append(found)
        start = end
    return out


def encode(data, vocab, max_len):
    text = data.decode("utf-8", errors="replace")
    pieces = []
    for w in basic_tokenize(text):
        pieces += wordpiece(w, vocab, vocab["[UNK]"])
    return [vocab["[CLS]"]] + pieces[: max_len - 2] + [vocab["[SEP]"]]


def main():
    vocab = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        for i, line in enumerate(f):
            vocab.setdefault(line.rstrip("\n"), i)
    max_len = int(sys.argv[2])
    for name, data in CASES:
        ids = encode(data, vocab, max_len)
        print(f"{name}\t{data.hex()}\t{' '.join(map(str, ids))}")


if __name__ == "__main__":
    main()
