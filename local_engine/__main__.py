"""``python -m local_engine --host 127.0.0.1 --port 8311``: run the offline DashScope stand-in.

It binds to loopback unless told otherwise: the engine has no authentication (any API key is
accepted), so exposing it to a network is a deliberate choice, and it warns when made.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging

import uvicorn

from local_engine.app import create_app
from local_engine.engine import Engine
from local_engine.scheduler import DEFAULT_MAX_WAITING
from structured_output.catalog import LOCAL_ENGINE_PORT_ENV, local_engine_port


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m local_engine", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    p.add_argument("--port", type=int, default=None,
                   help=f"port (default: ${LOCAL_ENGINE_PORT_ENV} or {local_engine_port()})")
    p.add_argument("--model-path", default=None,
                   help="a GGUF file to serve instead of the Gemma 3 270M that the PyPI package assembles")
    p.add_argument("--n-ctx", type=int, default=8192, help="context length in tokens (prompt + answer)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for llama.cpp (default: all cores)")
    p.add_argument("--max-waiting", type=int, default=DEFAULT_MAX_WAITING,
                   help="requests that may wait behind the running one before new ones get 429")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("local_engine")
    port = args.port if args.port is not None else local_engine_port()
    if not _is_loopback(args.host):
        log.warning("binding to %s: the engine accepts any API key, so anyone who can reach this address "
                    "can use it", args.host)
    engine = Engine(args.model_path, n_ctx=args.n_ctx, n_threads=args.threads, max_waiting=args.max_waiting)
    log.info("local engine on http://%s:%d (compatible-mode/v1 and api/v1); loading the model in the background",
             args.host, port)
    uvicorn.run(create_app(engine), host=args.host, port=port, log_level=args.log_level, access_log=False)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


if __name__ == "__main__":
    main()
