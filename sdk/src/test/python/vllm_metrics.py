"""A vLLM engine's HTTP server: its /metrics made with the prometheus_client library as vLLM v0.11.0 makes them,
its /health and its /tokenize, served the way vLLM serves them: an ASGI app under uvicorn with uvicorn's default
HTTP protocol, httptools (Debian's python3-uvicorn and python3-httptools).

Follows vllm/v1/metrics/loggers.py at v0.11.0 (PrometheusStatLogger): counters vllm:prefix_cache_queries,
vllm:prefix_cache_hits and vllm:request_success (labels model_name, engine; finished_reason), the histogram
vllm:time_to_first_token_seconds with its buckets, and vllm:cache_config_info, a gauge set to 1 whose labels
are CacheConfig.metrics_info() (vllm/config/cache.py: every field as a string) plus engine. A data-parallel
process (--engines N) writes one cache_config_info series per engine, each with the process's num_gpu_blocks,
the sum over its engines (vllm 5ac26849 core_client.py _apply_ready_response, loggers.py log_metrics_info).

The server, as vLLM 5ac26849 runs it: vllm/entrypoints/launcher.py serve_http makes uvicorn.Config(app, ...)
without http=, so uvicorn takes httptools, which fastapi[standard] installs (requirements/common.txt); /metrics is
prometheus_client's make_asgi_app(registry) mounted on the app (vllm/entrypoints/serve/instrumentator/metrics.py);
POST /tokenize takes a JSON body, TokenizeCompletionRequest {prompt, add_special_tokens=True} or
TokenizeChatRequest {messages, add_generation_prompt=True, add_special_tokens=False}
(vllm/entrypoints/serve/tokenize/protocol.py), and answers {count, max_model_len, tokens, token_strs}; a request
without a body is a 400 ErrorResponse {"error": {"message", "type", "param", "code"}}
(vllm/entrypoints/openai/engine/protocol.py), and so is a model it does not serve, 404 "The model `x` does not exist."
(vllm/entrypoints/serve/engine/serving.py). The token ids themselves are this peer's: 1 for BOS, then one id per
word (its characters' code points summed, plus 100), a chat's messages rendered as "<|role|> content" per message.

Prints the port it listens on, then reads commands from stdin, one per line, and answers "ok":
  serve N HIT TTFT [REASON]   N requests of 100 prompt tokens, HIT of each 100 found in the prefix cache,
                              each with time to first token TTFT seconds, finished for REASON (default stop)
  quit
"""
import argparse
import asyncio
import json
import socket
import sys
import threading
import time

import uvicorn
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_asgi_app

TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                20.0, 40.0, 80.0, 160.0, 640.0, 2560.0]


def cache_config_info(block_size, num_gpu_blocks):
    """CacheConfig.__dict__ of v0.11.0, in its field order, each value str()-ed as metrics_info() does."""
    fields = dict(block_size=block_size, gpu_memory_utilization=0.9, swap_space=4, cache_dtype="auto",
                  is_attention_free=False, num_gpu_blocks_override=None, sliding_window=None,
                  enable_prefix_caching=True, prefix_caching_hash_algo="sha256", cpu_offload_gb=0,
                  calculate_kv_scales=False, cpu_kvcache_space_bytes=None, mamba_page_size_padded=None,
                  mamba_cache_dtype="auto", mamba_ssm_cache_dtype="auto", num_gpu_blocks=num_gpu_blocks,
                  num_cpu_blocks=0, kv_sharing_fast_prefill=False, kv_cache_memory_bytes=None)
    return {k: str(v) for k, v in fields.items()}


def words_to_ids(text):
    return [100 + sum(ord(c) for c in word) for word in text.split()]


def tokenize(request):
    """The ids of a TokenizeCompletionRequest or TokenizeChatRequest, with vLLM's defaults."""
    if "messages" in request:
        text = " ".join("<|%s|> %s" % (m["role"], m.get("content") or "") for m in request["messages"])
        if request.get("add_generation_prompt", True):
            text += " <|assistant|>"
        special = request.get("add_special_tokens", False)
    else:
        text = request["prompt"]
        special = request.get("add_special_tokens", True)
    return ([1] if special else []) + words_to_ids(text)


async def read_body(receive):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def api_app(metrics, model):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path.startswith("/metrics"):
            await metrics(scope, receive, send)
            return
        status, answer = 404, {"detail": "Not Found"}
        if path == "/health":
            await read_body(receive)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        if path == "/tokenize" and scope["method"] == "POST":
            body = await read_body(receive)
            if not body:
                status, answer = 400, {"error": {"message": "1 validation error:\n  {'type': 'missing', 'loc': ('body',),"
                                                 " 'msg': 'Field required', 'input': None}", "type": "Bad Request",
                                                 "param": "body", "code": 400}}
            else:
                request = json.loads(body)
                if request.get("model") and request["model"] != model:
                    # vllm/entrypoints/serve/engine/serving.py _check_model: an unknown (not a missing) model
                    status, answer = 404, {"error": {"message": "The model `%s` does not exist." % request["model"],
                                                     "type": "NotFoundError", "param": "model", "code": 404}}
                else:
                    ids = tokenize(request)
                    status, answer = 200, {"count": len(ids), "max_model_len": 8192, "tokens": ids, "token_strs": None}
        await send({"type": "http.response.start", "status": status,
                    "headers": [[b"content-type", b"application/json"]]})
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})
    return app


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="demo-model")
    p.add_argument("--block-size", type=int, default=16)
    p.add_argument("--num-gpu-blocks", type=int, default=8192)
    p.add_argument("--engines", type=int, default=1, help="data-parallel engines in this process")
    a = p.parse_args()

    registry = CollectorRegistry()
    labelnames = ["model_name", "engine"]
    queries = Counter("vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.",
                      labelnames, registry=registry)
    hits = Counter("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.",
                   labelnames, registry=registry)
    success = Counter("vllm:request_success", "Count of successfully processed requests.",
                      labelnames + ["finished_reason"], registry=registry)
    ttft = Histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
                     labelnames, buckets=TTFT_BUCKETS, registry=registry)
    info = cache_config_info(a.block_size, a.num_gpu_blocks)
    info["engine"] = ""
    # vLLM passes multiprocess_mode="mostrecent" (prometheus_client >= 0.18); it only matters in multiprocess
    # mode, which this single process does not use, and Debian's 0.16 does not know it.
    gauge = Gauge("vllm:cache_config_info", "Information of the LLMEngine CacheConfig", list(info.keys()),
                  registry=registry)
    for engine in range(a.engines):
        labels = cache_config_info(a.block_size, a.num_gpu_blocks)
        labels["engine"] = str(engine)
        gauge.labels(**labels).set(1)
        for reason in ("stop", "length", "abort"):
            success.labels(a.model, str(engine), reason)
        queries.labels(a.model, str(engine))
        hits.labels(a.model, str(engine))
        ttft.labels(a.model, str(engine))

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api_app(make_asgi_app(registry=registry), a.model), log_level="warning"))
    serving = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listener])), daemon=True)
    serving.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not serving.is_alive() or time.monotonic() > deadline:
            print("uvicorn did not start", flush=True)  # the Java side reads this line and gives up
            sys.exit(1)
        time.sleep(0.02)
    print(port, flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "serve":
            n, hit, seconds = int(words[1]), int(words[2]), float(words[3])
            reason = words[4] if len(words) > 4 else "stop"
            for i in range(n):
                engine = str(i % a.engines)
                queries.labels(a.model, engine).inc(100)
                hits.labels(a.model, engine).inc(hit)
                ttft.labels(a.model, engine).observe(seconds)
                success.labels(a.model, engine, reason).inc()
        print("ok", flush=True)


if __name__ == "__main__":
    main()
