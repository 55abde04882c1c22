#!/usr/bin/python3
"""A libzmq peer that publishes KV-cache events the way vLLM's ZmqEventPublisher does.

Live: PUB multipart [topic, seq (8 bytes big-endian), payload]; seq counts batches from 0 per
process. Replay: ROUTER; a request [identity, "", seq8] gets every buffered batch with seq >= the
requested one, [identity, "", (topic,) seq8, payload], then an end marker with seq ff*8 and an
empty payload. The buffer holds the last --buffer batches; replies beyond the ROUTER's send
high-water mark are dropped, as libzmq does.

Controlled through stdin, one command per line, each answered with one line on stdout:
  publish N        publish N batches
  drop N           publish N batches that are buffered for replay but never sent live
  restart          close both sockets, start again at seq 0 with an empty buffer, rebind the same ports
  cut K            answer the next replay request with K batches and no end marker
  garbage          send a live message with a bad seq frame, then a batch whose payload is not msgpack
  quit
Payloads: one BlockStored per batch, block hash = hash_of(epoch, seq), parent = the previous
batch's hash; every 5th batch also removes the hash of seq-3.

  --check-vectors FILE   re-encode the golden vectors' expected events and compare the bytes
  --reply-gap-ms MS      pause between replay replies (a loaded engine or a slow path)
"""
import argparse
import json
import sys
import time

import msgpack
import zmq

END_SEQ = b"\xff" * 8
STORED_REQUIRED = ["block_hashes", "parent_block_hash", "token_ids", "block_size", "lora_id", "medium", "lora_name"]
STORED_OPTIONAL = ["extra_keys", "group_idx", "kv_cache_spec_kind", "kv_cache_spec_sliding_window",
                   "locality", "ownership", "session_id"]
STORED_ARRAY_V021 = STORED_REQUIRED + ["extra_keys", "group_idx", "kv_cache_spec_kind", "kv_cache_spec_sliding_window"]
REMOVED_REQUIRED = ["block_hashes", "medium"]
REMOVED_OPTIONAL = ["group_idx", "locality", "ownership"]
REMOVED_ARRAY_V021 = ["block_hashes", "medium", "group_idx"]


def hash_of(epoch, seq):
    """Matches VllmPeer.hashOf on the Java side; odd seqs get the top bit (uint64 >= 2^63)."""
    h = (epoch << 40) | seq
    return h | (1 << 63) if seq % 2 else h


def encode_hash(h, hashes):
    if hashes == "bytes":
        return bytes(24) + h.to_bytes(8, "big")
    return h


def encode_event(event, fmt, hashes="int"):
    """msgspec's layout for vLLM's tagged structs: map (omit_defaults) or array_like."""
    tag = event["type"]
    ev = dict(event)
    if "block_hashes" in ev:
        ev["block_hashes"] = [encode_hash(int(h), hashes) for h in ev["block_hashes"]]
    if ev.get("parent_block_hash") is not None:
        ev["parent_block_hash"] = encode_hash(int(ev["parent_block_hash"]), hashes)
    if tag == "BlockStored":
        required, optional, positional = STORED_REQUIRED, STORED_OPTIONAL, STORED_ARRAY_V021
    elif tag == "BlockRemoved":
        required, optional, positional = REMOVED_REQUIRED, REMOVED_OPTIONAL, REMOVED_ARRAY_V021
    else:
        required, optional, positional = [], [], []
    if fmt == "map":
        out = {"type": tag}
        for k in required:
            out[k] = ev.get(k)
        for k in optional:
            if ev.get(k) is not None:
                out[k] = ev[k]
        return out
    return [tag] + [ev.get(k) for k in positional]


def encode_batch(ts, events, dp_rank, fmt, hashes="int"):
    body = [ts, [encode_event(e, fmt, hashes) for e in events]]
    if dp_rank is not None:
        body.append(dp_rank)
    return msgpack.packb(body, use_bin_type=True)


def check_vectors(path):
    vectors = json.load(open(path))["vectors"]
    checked = 0
    for v in vectors:
        name = v["name"]
        if v["encoding"] not in ("map", "array") or "unknown" in name or "bytes" in name:
            continue
        if v["encoding"] == "array" and "v0.21" not in name:
            continue  # older array schemas have fewer fields; the peer speaks the 0.21 layout
        exp = v["expected"]
        got = encode_batch(exp["ts"], exp["events"], exp["data_parallel_rank"], v["encoding"]).hex()
        if got != v["hex"]:
            print("MISMATCH %s\n  got  %s\n  want %s" % (name, got, v["hex"]))
            return 1
        checked += 1
    print("ok %d vectors" % checked)
    return 0


class Publisher:
    def __init__(self, args):
        self.args = args
        self.ctx = zmq.Context()
        self.epoch = 0
        self.seq = 0
        self.buffer = []
        self.cut_next = None
        self.pub_port = None
        self.replay_port = None
        self.bind()

    def bind(self):
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.setsockopt(zmq.SNDHWM, 0)
        self.router = self.ctx.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        self.router.setsockopt(zmq.SNDHWM, self.args.router_hwm)
        host = "[%s]" % self.args.host if ":" in self.args.host else self.args.host
        if ":" in self.args.host:
            # libzmq binds an IPv6 address only with IPV6 on (a pod on an IPv6-only cluster)
            self.pub.setsockopt(zmq.IPV6, 1)
            self.router.setsockopt(zmq.IPV6, 1)
        if self.pub_port is None:
            self.pub_port = self.pub.bind_to_random_port("tcp://" + host)
            self.replay_port = self.router.bind_to_random_port("tcp://" + host)
            return
        deadline = time.time() + 10
        for sock, port in ((self.pub, self.pub_port), (self.router, self.replay_port)):
            while True:
                try:
                    sock.bind("tcp://%s:%d" % (host, port))
                    break
                except zmq.ZMQError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.05)

    def payload(self, seq):
        h = hash_of(self.epoch, seq)
        events = [{"type": "BlockStored", "block_hashes": [h],
                   "parent_block_hash": hash_of(self.epoch, seq - 1) if seq > 0 else None,
                   "token_ids": list(range(seq * 16, seq * 16 + 16)), "block_size": 16,
                   "lora_id": None, "medium": "GPU", "lora_name": None}]
        if seq % 5 == 4:
            events.append({"type": "BlockRemoved", "block_hashes": [hash_of(self.epoch, seq - 3)], "medium": "GPU"})
        return encode_batch(1757500000.0 + seq / 1000.0, events, 0, self.args.format, self.args.hashes)

    def publish(self, n, send):
        for _ in range(n):
            seq = self.seq
            self.seq += 1
            buf = self.payload(seq)
            self.buffer.append((seq, buf))
            if len(self.buffer) > self.args.buffer:
                del self.buffer[0]
            if send:
                self.pub.send_multipart((self.args.topic.encode(), seq.to_bytes(8, "big"), buf))

    def serve_replay(self):
        frames = self.router.recv_multipart()
        if len(frames) != 3:
            return
        identity, _, start = frames
        start_seq = int.from_bytes(start, "big")
        topic = [self.args.topic.encode()] if self.args.topic_frame else []
        limit = self.cut_next
        self.cut_next = None
        sent = 0
        for seq, buf in self.buffer:
            if seq >= start_seq:
                if limit is not None and sent >= limit:
                    return
                if sent and self.args.reply_gap_ms:
                    time.sleep(self.args.reply_gap_ms / 1000.0)
                self.router.send_multipart([identity, b""] + topic + [seq.to_bytes(8, "big"), buf])
                sent += 1
        self.router.send_multipart([identity, b""] + ([b""] if self.args.topic_frame else []) + [END_SEQ, b""])

    def restart(self):
        self.pub.close(0)
        self.router.close(0)
        self.epoch += 1
        self.seq = 0
        self.buffer = []
        self.bind()

    def command(self, line):
        words = line.split()
        if not words:
            return "ok"
        op = words[0]
        if op == "publish":
            self.publish(int(words[1]), True)
        elif op == "drop":
            self.publish(int(words[1]), False)
        elif op == "restart":
            self.restart()
        elif op == "cut":
            self.cut_next = int(words[1])
        elif op == "garbage":
            # a live message with a 2-byte seq frame, then a batch whose payload is not msgpack
            self.pub.send_multipart((self.args.topic.encode(), b"\x00\x01", b"x"))
            seq = self.seq
            self.seq += 1
            self.buffer.append((seq, b"\xc1not msgpack"))
            self.pub.send_multipart((self.args.topic.encode(), seq.to_bytes(8, "big"), b"\xc1not msgpack"))
        elif op == "quit":
            return None
        else:
            return "error unknown command " + op
        return "ok epoch=%d seq=%d" % (self.epoch, self.seq)

    def run(self):
        print("ready pub=%d replay=%d" % (self.pub_port, self.replay_port), flush=True)
        stdin = sys.stdin.fileno()
        while True:
            poller = zmq.Poller()
            poller.register(self.router, zmq.POLLIN)
            poller.register(stdin, zmq.POLLIN)
            for sock, _ in poller.poll(1000):
                if sock is self.router:
                    self.serve_replay()
                elif sock == stdin:
                    line = sys.stdin.readline()
                    if not line:
                        return
                    answer = self.command(line)
                    if answer is None:
                        return
                    print(answer, flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--format", choices=["map", "array"], default="map")
    p.add_argument("--hashes", choices=["int", "bytes"], default="int")
    p.add_argument("--topic", default="kv@pod-a@demo-model")
    p.add_argument("--topic-frame", action="store_true", help="replay replies carry the topic (vLLM >= 0.26)")
    p.add_argument("--buffer", type=int, default=10000)
    p.add_argument("--router-hwm", type=int, default=1000)
    p.add_argument("--host", default="127.0.0.1", help="the address to bind: 127.0.0.1, or ::1 for IPv6")
    p.add_argument("--reply-gap-ms", type=float, default=0,
                   help="pause between replay replies: a loaded engine, or a slow path (a port-forward)")
    p.add_argument("--check-vectors")
    args = p.parse_args()
    if args.check_vectors:
        sys.exit(check_vectors(args.check_vectors))
    pub = Publisher(args)
    try:
        pub.run()
    finally:
        pub.pub.close(0)
        pub.router.close(0)
        pub.ctx.term()


if __name__ == "__main__":
    main()
