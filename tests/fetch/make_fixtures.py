#!/usr/bin/env python3
"""tests/fetch/make_fixtures.py ROOT — small archives in the upstream datasets' layouts, for
tests/fetch/test-download.sh (and the README tour test) to serve from a local HTTP server.

ROOT/SITE/PATH mirrors https://SITE/PATH of each file scripts/download-datasets.sh fetches, so the
script runs unchanged with PTC_DOWNLOAD_MIRROR=http://127.0.0.1:PORT. The documents are a few
made-up ones that exercise what the conversions must get right: numeric (not lexical) file order,
whitespace runs, tabs and CR/LF inside texts, a latin-1 byte in a BBC file and in a 20NG post,
GLUE's header lines, quoted CSV with commas and doubled quotes. The expected conversions are the
literal files in tests/fetch/expected/ (written by hand, not by this program).
Standard library only; deterministic bytes (fixed mtimes), so the archives are the same each run.
"""
import io
import os
import sys
import tarfile
import zipfile

ROOT = sys.argv[1]
MTIME = 1700000000


def path(url_path):
    p = os.path.join(ROOT, url_path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write_tar_gz(url_path, files):
    """files: {member path: bytes}"""
    with tarfile.open(path(url_path), "w:gz", format=tarfile.GNU_FORMAT) as tar:
        dirs = set()
        for name in files:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        for d in sorted(dirs):
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))


def write_zip(url_path, files):
    with zipfile.ZipFile(path(url_path), "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, (2023, 11, 14, 22, 13, 20)), data)


# ---- IMDB: aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt (+ files the conversion ignores)
imdb = {
    "aclImdb/README": b"Large Movie Review Dataset v1.0\n",
    "aclImdb/imdb.vocab": b"the\nand\n",
    "aclImdb/train/labeledBow.feat": b"0:9 1:1\n",
    "aclImdb/train/unsup/0_0.txt": b"unlabeled review\n",
    "aclImdb/train/neg/10_2.txt": b"Dull plot.<br /><br />The   acting was   worse.",
    "aclImdb/train/neg/2_1.txt": b"Terrible film,\ttruly terrible.\n",
    "aclImdb/train/pos/0_9.txt": b"  A wonderful, moving story. \r\nLoved it!",
    "aclImdb/train/pos/11_10.txt": b"Brilliant acting and a great score.",
    "aclImdb/test/neg/1_3.txt": b"Boring and far too long.",
    "aclImdb/test/pos/3_8.txt": b"Funny, clever and warm.",
}
write_tar_gz("ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz", imdb)

# ---- BBC: bbc/<category>/<nnn>.txt, headline first; sport/002.txt has a latin-1 pound sign
BBC_TOPICS = {
    "business": ("Shares rise", "markets profits bank economy shares"),
    "entertainment": ("Film wins award", "film music award actor festival"),
    "politics": ("Minister speaks", "minister election party government vote"),
    "sport": ("Team wins cup", "match cup team goal season"),
    "tech": ("New phone launched", "phone software computer internet users"),
}
bbc = {"bbc/README.TXT": b"BBC full text\n"}
for cat, (headline, words) in BBC_TOPICS.items():
    for i in (1, 2, 3, 10):
        text = f"{headline} {i}\n\n{words} report {i}.\n  More {words.split()[0]} news.\n"
        bbc[f"bbc/{cat}/{i:03d}.txt"] = text.encode("utf-8")
bbc["bbc/sport/002.txt"] = b"Team wins cup 2\n\nTickets cost \xa35 for the cup match.\n"
write_zip("mlg.ucd.ie/files/datasets/bbc-fulltext.zip", bbc)

# ---- 20 Newsgroups bydate: 20news-bydate-{train,test}/<group>/<n>, headers kept, latin-1
ng = {
    "20news-bydate-train/comp.graphics/37261": b"From: a@b.c\nSubject: Re: 3D\n\nRendering  tips.\n",
    "20news-bydate-train/alt.atheism/51060": b"From: x@y.z\nSubject: faith\n\nA long\tdebate.\n",
    "20news-bydate-train/alt.atheism/9999": b"From: q@r.s\nSubject: caf\xe9\n\nShort post.\n",
    "20news-bydate-test/alt.atheism/53068": b"Subject: test\n\nBody one.\n",
    "20news-bydate-test/comp.graphics/38758": b"Subject: gif\n\nImage\r\nformats.\n",
}
write_tar_gz("qwone.com/~jason/20Newsgroups/20news-bydate.tar.gz", ng)

# ---- SST-2 (GLUE): SST-2/{train,dev}.tsv "sentence<TAB>label" with a header; test unlabeled
sst = {
    "SST-2/train.tsv": b"sentence\tlabel\nhide new secretions from the parental units \t0\n"
                       b"contains no wit , only labored gags \t0\nthe greatest musicians \t1\n",
    "SST-2/dev.tsv": b"sentence\tlabel\nit 's a charming and often affecting journey . \t1\n"
                     b"unflinchingly bleak and desperate \t0\n",
    "SST-2/test.tsv": b"index\tsentence\n0\tuneasy mishmash of styles and genres .\n",
}
write_zip("dl.fbaipublicfiles.com/glue/data/SST-2.zip", sst)

# ---- AG News test.csv: "class","title","description", quoted, backslashes as in the original
ag = (b'"3","Fears for T N pension after talks","Unions say they are \'disappointed\' after talks."\n'
      b'"4","The Race is On: Second Team (SPACE.com)","SPACE.com - TORONTO -- A second\\team of '
      b'rocketeers, #36;10 million"\n'
      b'"2","Sox win, ""finally""","BOSTON  - The team won."\n'
      b'"1","Talks resume","Leaders meet again."\n')
with open(path("raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv"),
          "wb") as f:
    f.write(ag)

# ---- vocab.txt: BERT's special tokens and the fixture documents' words (WordPiece layout)
words = sorted({w.strip(".,!'\"").lower() for t in
                [v.decode("latin-1") for v in list(imdb.values()) + list(bbc.values()) + list(ng.values())]
                for w in t.split()} - {""})
vocab = ["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "'", "<", ">", "/"]
vocab += [w for w in words if w.isalpha()] + ["##s", "##ing"]
with open(path("huggingface.co/bert-base-uncased/resolve/main/vocab.txt"), "w") as f:
    f.write("\n".join(vocab) + "\n")
