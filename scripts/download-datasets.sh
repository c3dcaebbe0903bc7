#!/bin/sh
# scripts/download-datasets.sh — fetch public document-classification datasets and the BERT
# vocabulary, and convert them to ptc's format: label<TAB>text per line, labels.txt with one class
# name per line (include/ptc/dataset.h; the conversions follow shared/datasets/SOURCES.md:
# whitespace collapse = Python ' '.join(s.split()), labels = alphabetical class index).
#
#   sh scripts/download-datasets.sh DIR [NAME...]     NAME: imdb bbc 20ng sst2 agnews-test vocab
#                                                     (default: all of them)
#   then: ptc train --data-dir DIR --vocab DIR/models/bert-base-uncased-vocab/vocab.txt --data bbc
#   (or export PTC_DATA=DIR PTC_VOCAB=DIR/models/bert-base-uncased-vocab/vocab.txt)
#
# Files land under DIR in the layout `ptc --data NAME --data-dir DIR` reads:
#   imdb/{train,test}.tsv  bbc/all.tsv  20newsgroups/{train,test}.tsv  sst2/{train,dev,test}.tsv
#   ag_news/test.tsv  (each folder with its labels.txt)  models/bert-base-uncased-vocab/vocab.txt
# The downloaded archives stay beside them (a re-run downloads nothing again); the unpacked
# trees are removed after conversion.
#
# What is tested and what is not: tests/fetch/test-download.sh runs this script against a local
# HTTP server (PTC_DOWNLOAD_MIRROR below) that serves small fixture archives built in the upstream
# layouts (aclImdb/{train,test}/{neg,pos}/ID_RATING.txt in a .tar.gz; bbc/CATEGORY/NNN.txt in a
# .zip with a latin-1 file; 20news-bydate-{train,test}/GROUP/N in a .tar.gz; GLUE's SST-2/*.tsv
# with header lines in a .zip; AG News's quoted test.csv; a vocab.txt), and checks every converted
# file line by line. What depends on the upstream hosts: that the URLs below still answer and that
# the archives still have those layouts. The real archives have not been downloaded from here
# (no network); the copies under shared/datasets/ were made from repository snapshots, with
# checksums in shared/datasets/SHA256SUMS.
# Not scripted: Reuters-21578 R8/R52 and Hyperpartisan (their SGML/XML conversions are described in
# SOURCES.md sections 3 and 4).
#
# Environment: PTC_DOWNLOAD_MIRROR=http://HOST:PORT fetches https://SITE/PATH from
# $PTC_DOWNLOAD_MIRROR/SITE/PATH instead (the test's local server; or a mirror you keep).
# Needs: curl, tar, unzip, python3 (standard library only).
set -eu
usage="usage: download-datasets.sh DIR [imdb bbc 20ng sst2 agnews-test vocab]"
[ $# -ge 1 ] || { echo "$usage" >&2; exit 2; }
DIR=$1
shift
ALL="imdb bbc 20ng sst2 agnews-test vocab"
WANT=${*:-$ALL}
for name in $WANT; do
    case " $ALL " in
        *" $name "*) ;;
        *) echo "download-datasets.sh: unknown dataset '$name' ($ALL)" >&2; exit 2 ;;
    esac
done
for tool in curl tar unzip python3; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "download-datasets.sh: needs $tool (sh scripts/install-deps.sh installs it)" >&2; exit 1; }
done
mkdir -p "$DIR"
cd "$DIR"

wanted() { case " $WANT " in *" $1 "*) return 0 ;; esac; return 1; }

fetch() { # URL FILE: download once (kept across re-runs); from the mirror when one is set
    url=$1
    if [ -n "${PTC_DOWNLOAD_MIRROR:-}" ]; then
        url="${PTC_DOWNLOAD_MIRROR%/}/${1#*://}"
    fi
    if [ ! -s "$2" ]; then
        echo "download-datasets.sh: $url"
        curl -fsSL --retry 3 -o "$2.part" "$url"
        mv "$2.part" "$2"
    fi
}

# ---- IMDB (aclImdb v1, Maas et al. 2011): files sorted neg then pos, by numeric id
if wanted imdb; then
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
    rm -rf imdb/aclImdb
fi

# ---- BBC News (Greene & Cunningham 2006): categories alphabetical, files by number
if wanted bbc; then
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
    rm -rf bbc/bbc
fi

# ---- 20 Newsgroups, bydate (Lang 1995; Rennie's split): groups alphabetical, latin-1
if wanted 20ng; then
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
    rm -rf 20newsgroups/20news-bydate-train 20newsgroups/20news-bydate-test
fi

# ---- SST-2 (GLUE): GLUE's test split is unlabeled, so test.tsv here is GLUE dev
#      (shared/datasets has the labeled original SST binary test split instead; see SOURCES.md)
if wanted sst2; then
    mkdir -p sst2
    fetch https://dl.fbaipublicfiles.com/glue/data/SST-2.zip sst2/SST-2.zip
    unzip -oq sst2/SST-2.zip -d sst2
    printf 'negative\npositive\n' > sst2/labels.txt
    python3 - <<'PY'
import csv
for src, dst in (("train", "train"), ("dev", "dev"), ("dev", "test")):
    with open(f"sst2/SST-2/{src}.tsv", encoding="utf-8", newline="") as f, \
         open(f"sst2/{dst}.tsv", "w", encoding="utf-8") as out:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        for sentence, label in rows:
            out.write(f"{label}\t{' '.join(sentence.split())}\n")
PY
    rm -rf sst2/SST-2
fi

# ---- AG News test split (Zhang et al. 2015), from the well-known mirror of the csv files
if wanted agnews-test; then
    mkdir -p ag_news
    fetch https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv ag_news/test.csv
    printf 'World\nSports\nBusiness\nSci/Tech\n' > ag_news/labels.txt
    python3 - <<'PY'
import csv
with open("ag_news/test.csv", encoding="utf-8", newline="") as f, open("ag_news/test.tsv", "w", encoding="utf-8") as out:
    for cls, title, desc in csv.reader(f):
        out.write(f"{int(cls) - 1}\t{' '.join((title + ' ' + desc).split())}\n")
PY
fi

# ---- vocabulary: bert-base-uncased vocab.txt (sha256 checked; a differing file is kept, with a warning)
if wanted vocab; then
    mkdir -p models/bert-base-uncased-vocab
    fetch https://huggingface.co/bert-base-uncased/resolve/main/vocab.txt models/bert-base-uncased-vocab/vocab.txt
    want=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
    got=$(sha256sum models/bert-base-uncased-vocab/vocab.txt | cut -d' ' -f1)
    if [ "$got" != "$want" ]; then
        echo "download-datasets.sh: warning: vocab.txt sha256 $got differs from the official $want" >&2
    fi
fi
echo "done: ptc train --data-dir $DIR --vocab $DIR/models/bert-base-uncased-vocab/vocab.txt --data bbc ..."
