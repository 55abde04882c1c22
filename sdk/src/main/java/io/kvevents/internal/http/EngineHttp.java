package io.kvevents.internal.http;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * The HTTP client for engines' and tokenizers' own endpoints ({@code /tokenize}, {@code /health}, {@code /metrics}):
 * HTTP/1.1. The JDK client speaks HTTP/2 by default, which over a plain {@code http://} URL it can only offer as an
 * {@code Upgrade: h2c} on the first request; vLLM serves through uvicorn (vllm/entrypoints/launcher.py at 5ac26849:
 * {@code uvicorn.Config(app, …)}, {@code http="auto"}, which takes httptools, installed with {@code fastapi[standard]}),
 * and uvicorn's httptools protocol answers such a request 400 "Unsupported upgrade request." (0.17) or hands the
 * application an empty body (later releases, Kludex/uvicorn#2722): vLLM then answers 400 "Field required" to every
 * {@code POST /tokenize}.
 */
public final class EngineHttp {
    private EngineHttp() {
    }

    /** An HTTP/1.1 client that gives up connecting after {@code connectTimeout}. */
    public static HttpClient client(Duration connectTimeout) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build();
    }
}
