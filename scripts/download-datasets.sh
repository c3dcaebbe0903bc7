#!/bin/sh
# scripts/download-datasets.sh — fetch the public document-classification datasets and convert
# them to ptc's format (label<TAB>text, labels.txt; see shared/datasets/SOURCES.md and
# include/ptc/dataset.h), for machines with internet access.
#
#   sh scripts/download-datasets.sh DIR     (then: ptc train --data-dir DIR --data bbc ...)
#
# HONESTY NOTE: this script was written without network access and has NOT been run end to end.
# The URLs are the datasets' well-known public homes; the conversion follows SOURCES.md (whitespace
# collapse = Python ' '.join(s.split()); labels = alphabetical class index). Steps marked UNTESTED
# may need adjusting if an upstream archive changed. The copies under shared/datasets/ were made
# from repository snapshots instead, and their checksums are in shared/datasets/SHA256SUMS.
# Needs: curl, tar, unzip, python3 (standard library only).
set -eu
DIR=${1:?usage: download-datasets.sh DIR}
mkdir -p "$DIR"
cd "$DIR"

fetch() { # url file: download once (kept across re-runs)
    if [ ! -s "$2" ]; then
        curl -fL --retry 3 -o "$2.part" "$1"
        mv "$2.part" "$2"
    fi
}

# ---- IMDB (aclImdb v1, Maas et al. 2011) -- UNTESTED
mkdir -p imdb
fetch https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz imdb/aclImdb_v1.tar.gz
tar -xzf imdb/aclImdb_v1.tar.gz -C imdb
printf 'neg\npos\n' > imdb/labels.txt
python3 - <<'PY'
import os
for split in ("train", "test"):
    with open(f"imdb/{split}.tsv", "w", encoding="utf-8") as out:
        for label, name in enumerate(("neg", "pos")):
            d = f"imdb/aclImdb/{split}/{name}"
            for f in sorted(os.listdir(d), key=lambda s: (int(s.split("_")[0]), s)):
                text = open(os.path.join(d, f), encoding="utf-8").read()
                out.write(f"{label}\t{' '.join(text.split())}\n")
PY

# ---- BBC News (Greene & Cunningham 2006) -- UNTESTED
mkdir -p bbc
fetch http://mlg.ucd.ie/files/datasets/bbc-fulltext.zip bbc/bbc-fulltext.zip
unzip -oq bbc/bbc-fulltext.zip -d bbc
printf 'business\nentertainment\npolitics\nsport\ntech\n' > bbc/labels.txt
python3 - <<'PY'
import os
cats = ["business", "entertainment", "politics", "sport", "tech"]
with open("bbc/all.tsv", "w", encoding="utf-8") as out:
    for label, c in enumerate(cats):
        d = f"bbc/bbc/{c}"
        for f in sorted((x for x in os.listdir(d) if x.endswith(".txt")), key=lambda s: int(s[:-4])):
            raw = open(os.path.join(d, f), "rb").read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:   # sport/199.txt has a latin-1 pound sign
                text = raw.decode("latin-1")
            out.write(f"{label}\t{' '.join(text.split())}\n")
PY

# ---- 20 Newsgroups, bydate (Lang 1995; Rennie's split) -- UNTESTED
mkdir -p 20newsgroups
fetch http://qwone.com/~jason/20Newsgroups/20news-bydate.tar.gz 20newsgroups/20news-bydate.tar.gz
tar -xzf 20newsgroups/20news-bydate.tar.gz -C 20newsgroups
python3 - <<'PY'
import os
groups = sorted(os.listdir("20newsgroups/20news-bydate-train"))
open("20newsgroups/labels.txt", "w").write("\n".join(groups) + "\n")
for split in ("train", "test"):
    with open(f"20newsgroups/{split}.tsv", "w", encoding="utf-8") as out:
        for label, g in enumerate(groups):
            d = f"20newsgroups/20news-bydate-{split}/{g}"
            for f in sorted(os.listdir(d), key=int):
                text = open(os.path.join(d, f), "rb").read().decode("latin-1")
                out.write(f"{label}\t{' '.join(text.split())}\n")
PY

# ---- SST-2 (GLUE) -- UNTESTED; GLUE's test split is unlabeled, so test.tsv here is GLUE dev
#      (shared/datasets has the labeled original SST binary test split instead; see SOURCES.md)
mkdir -p sst2
fetch https://dl.fbaipublicfiles.com/glue/data/SST-2.zip sst2/SST-2.zip
unzip -oq sst2/SST-2.zip -d sst2
printf 'negative\npositive\n' > sst2/labels.txt
python3 - <<'PY'
import csv
for src, dst in (("train", "train"), ("dev", "dev"), ("dev", "test")):
    with open(f"sst2/SST-2/{src}.tsv", encoding="utf-8") as f, open(f"sst2/{dst}.tsv", "w", encoding="utf-8") as out:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        for sentence, label in rows:
            out.write(f"{label}\t{' '.join(sentence.split())}\n")
PY

# ---- AG News test split (Zhang et al. 2015) -- UNTESTED; the well-known mirror of the csv files
mkdir -p ag_news
fetch https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv ag_news/test.csv
printf 'World\nSports\nBusiness\nSci/Tech\n' > ag_news/labels.txt
python3 - <<'PY'
import csv
with open("ag_news/test.csv", encoding="utf-8", newline="") as f, open("ag_news/test.tsv", "w", encoding="utf-8") as out:
    for cls, title, desc in csv.reader(f):
        out.write(f"{int(cls) - 1}\t{' '.join((title + ' ' + desc).split())}\n")
PY

# ---- Reuters-21578 R8/R52 and Hyperpartisan: conversions need the SGML/XML parsing described in
#      SOURCES.md (sections 3 and 4); not scripted here. Sources:
#      https://archive.ics.uci.edu/dataset/137/reuters+21578+text+categorization+collection
#      https://zenodo.org/record/1489920 (SemEval-2019 Task 4, by-article training set)

# ---- vocabulary: bert-base-uncased vocab.txt -- UNTESTED
mkdir -p models/bert-base-uncased-vocab
fetch https://huggingface.co/bert-base-uncased/resolve/main/vocab.txt models/bert-base-uncased-vocab/vocab.txt
echo "sha256 should be 07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3:"
sha256sum models/bert-base-uncased-vocab/vocab.txt
echo "done: ptc train --data-dir $DIR --vocab $DIR/models/bert-base-uncased-vocab/vocab.txt --data bbc ..."
