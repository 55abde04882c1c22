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
  stall MS         answer the next replay request MS milliseconds late (vLLM serves replay on the publisher's
                   own thread, vllm/distributed/kv_events.py at 0181ea3, _publisher_thread: a busy thread answers late)
  garbage          send a live message with a bad seq frame, then a batch whose payload is not msgpack
  json SOURCE      the truth about every buffered batch, as tail -o json prints it for SOURCE (a JSON array)
  truth            prefix=N: how many leading blocks of tokens 0, 1, 2, ... the engine holds
  quit
Payloads: one BlockStored per batch (tokens 16*seq .. 16*seq+15), block hash = hash_of(epoch, seq),
parent = the previous batch's hash; every 5th batch also removes the hash of seq-3. --profile picks the
layout of one upstream version (PROFILES, each citing its source); --salt, --bigram, --groups and
--duplicates add what those engines send in those set-ups.

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
# Every field of the Java side's EventSchema, in its order: the JSON truth names them all (null when absent).
STORED_JSON = STORED_ARRAY_V021 + ["locality", "ownership", "session_id", "cache_salt"]
REMOVED_JSON = REMOVED_ARRAY_V021 + ["locality", "ownership"]

# Version profiles: each follows the upstream file named in "source" at that tag or commit (read with the
# project's fetch / read_file tools). msgspec's array_like structs write every field, defaults included
# (omit_defaults never shortens them; checked with msgspec 0.22.0), so a batch of vLLM >= 0.9.1 is always
# [ts, events, data_parallel_rank] and an array event always has its schema's full length.
PROFILES = {
    # v0.9.0 vllm/distributed/kv_events.py: EventBatch(ts, events); BlockStored 5 fields; BlockRemoved 1;
    # block hashes are Python's builtin hash() (signed int64); replay replies [seq, payload]; every DP rank
    # bound the same ports.
    "vllm-0.9.0": dict(events="array", stored=STORED_REQUIRED[:5], removed=["block_hashes"], rank=False,
                       hashes="signed", topic_frame=False, medium=False, extra_keys=False),
    # v0.9.1: EventBatch gains data_parallel_rank (default None); ranks publish on port + rank.
    "vllm-0.9.1": dict(events="array", stored=STORED_REQUIRED[:5], removed=["block_hashes"], rank=True,
                       hashes="signed", topic_frame=False, medium=False, extra_keys=False),
    # v0.11.0: medium on both events (no default: always written); ExternalBlockHash as uint64 by default
    # (envs.py VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES=1).
    "vllm-0.11.0": dict(events="array", stored=STORED_REQUIRED[:6], removed=["block_hashes", "medium"], rank=True,
                        hashes="int", topic_frame=False, medium=True, extra_keys=False),
    # v0.23.0: the last array schema: lora_name, extra_keys, group_idx, kv_cache_spec_kind,
    # kv_cache_spec_sliding_window; BlockRemoved gains group_idx (hybrid models publish per KV-cache group).
    "vllm-0.23": dict(events="array", stored=STORED_ARRAY_V021, removed=REMOVED_ARRAY_V021, rank=True,
                      hashes="int", topic_frame=False, medium=True, extra_keys=True),
    # v0.25.1 (0.24 on): KVCacheEvent drops array_like: tagged maps, omit_defaults. Replay still without topic.
    "vllm-0.25": dict(events="map", rank=True, hashes="int", topic_frame=False, medium=True, extra_keys=True),
    # 0.26 (#45177): replay replies carry the topic frame [topic, seq, payload].
    "vllm-0.26": dict(events="map", rank=True, hashes="int", topic_frame=True, medium=True, extra_keys=True),
    # main: as 0.26, with the newer optional fields (locality, ownership, session_id) when set.
    "vllm-main": dict(events="map", rank=True, hashes="int", topic_frame=True, medium=True, extra_keys=True),
    # SGLang python/sglang/srt/disaggregation/kv_events.py before #37482 (Martin7-1/sglang 38f36ae8, upstream
    # #30827): array_like events [tag, hashes, parent, tokens, block_size, lora_id, medium], a salted
    # BlockStored appends metadata {"cache_salt": s}; EventBatch [ts, events, attn_dp_rank]; hashes are
    # hash_str_to_int64 (signed); replay replies without a topic frame.
    "sglang-pre-37482": dict(events="sglang-array", rank=True, hashes="signed", topic_frame=False, medium=True,
                             extra_keys=False),
    # SGLang after #37482 (wow-look-at-my/sglang bb6a6195): tagged maps with omit_defaults; cache_salt and
    # session_id on BlockStored; parent_block_hash and lora_id have no default (always written).
    "sglang-37482": dict(events="sglang-map", rank=True, hashes="signed", topic_frame=False, medium=True,
                         extra_keys=False),
}
FORMATS = {"map": "vllm-0.25", "array": "vllm-0.23"}


def hash_of(epoch, seq):
    """Matches VllmPeer.hashOf on the Java side; odd seqs get the top bit (uint64 >= 2^63)."""
    h = (epoch << 40) | seq
    return h | (1 << 63) if seq % 2 else h


def encode_hash(h, hashes):
    if hashes == "bytes":
        return bytes(24) + h.to_bytes(8, "big")
    if hashes == "signed":
        return h - (1 << 64) if h >= (1 << 63) else h
    return h


def encode_event(event, fmt, hashes="int"):
    """msgspec's layout for the tagged structs of a profile (or of --format map/array)."""
    profile = PROFILES[FORMATS.get(fmt, fmt)]
    tag = event["type"]
    ev = dict(event)
    if "block_hashes" in ev:
        ev["block_hashes"] = [encode_hash(int(h), hashes) for h in ev["block_hashes"]]
    if ev.get("parent_block_hash") is not None:
        ev["parent_block_hash"] = encode_hash(int(ev["parent_block_hash"]), hashes)
    layout = profile["events"]
    if layout == "array":
        fields = profile["stored"] if tag == "BlockStored" else profile["removed"] if tag == "BlockRemoved" else []
        return [tag] + [ev.get(k) for k in fields]
    if layout == "sglang-array":
        if tag == "BlockStored":
            out = [tag] + [ev.get(k) for k in STORED_REQUIRED[:6]]
            if ev.get("cache_salt") is not None:
                out.append({"cache_salt": ev["cache_salt"]})
            return out
        return [tag] + ([ev.get("block_hashes"), ev.get("medium")] if tag == "BlockRemoved" else [])
    if layout == "sglang-map":
        required = STORED_REQUIRED[:5] if tag == "BlockStored" else ["block_hashes"] if tag == "BlockRemoved" else []
        optional = ["medium", "cache_salt", "session_id"] if tag == "BlockStored" else ["medium"]
    elif tag == "BlockStored":
        required, optional = STORED_REQUIRED, STORED_OPTIONAL
    elif tag == "BlockRemoved":
        required, optional = REMOVED_REQUIRED, REMOVED_OPTIONAL
    else:
        required, optional = [], []
    out = {"type": tag}
    for k in required:
        out[k] = ev.get(k)
    for k in optional:
        if ev.get(k) is not None:
            out[k] = ev[k]
    return out


def encode_batch(ts, events, dp_rank, fmt, hashes="int"):
    body = [ts, [encode_event(e, fmt, hashes) for e in events]]
    if PROFILES[FORMATS.get(fmt, fmt)]["rank"]:
        body.append(dp_rank)
    return msgpack.packb(body, use_bin_type=True)


def check_vectors(path):
    """Re-encodes the golden vectors' expected events with each version's profile; the bytes must be equal."""
    vectors = json.load(open(path))["vectors"]
    by_name = {"v0.21": ("vllm-0.23", "int"), "v0.11": ("vllm-0.11.0", "int"), "v0.9": ("vllm-0.9.0", "signed")}
    checked = 0
    for v in vectors:
        name = v["name"]
        if v["encoding"] not in ("map", "array") or "unknown" in name or "bytes" in name:
            continue
        profile, hashes = ("vllm-0.25", "int") if v["encoding"] == "map" else by_name[name.rsplit("-", 1)[1]]
        exp = v["expected"]
        events = [dict(e, block_hashes=[int(h) for h in e.get("block_hashes", [])]) for e in exp["events"]]
        for e in events:
            if e.get("parent_block_hash") is not None:
                e["parent_block_hash"] = int(e["parent_block_hash"])
        got = encode_batch(exp["ts"], events, exp["data_parallel_rank"], profile, hashes).hex()
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
        self.stall_next = 0
        self.truth = []
        self.stored_events = {}
        self.pub_port = None
        self.replay_port = None
        self.bind()

    def bind(self):
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.setsockopt(zmq.SNDHWM, 0)
        # vllm/distributed/kv_events.py at 0181ea3, _socket_setup: the replay ROUTER keeps libzmq's default SNDHWM
        # (1000, --router-hwm's default) and no ROUTER_MANDATORY, so replies past it are dropped without a word;
        # _service_replay sends one reply per buffered batch from the asked seq, then the end marker (serve_replay)
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

    def events(self, seq):
        """The events of batch seq (see the module doc), shaped by the profile and the options."""
        a = self.args
        profile = PROFILES[a.profile]
        h = hash_of(self.epoch, seq)
        tokens = list(range(seq * 16, seq * 16 + 16))
        stored = {"type": "BlockStored", "block_hashes": [h],
                  "parent_block_hash": hash_of(self.epoch, seq - 1) if seq > 0 else None,
                  "token_ids": tokens, "block_size": 16, "lora_id": None,
                  "medium": "GPU" if profile["medium"] else None, "lora_name": None}
        if a.bigram:
            # SGLang with EAGLE-style speculative decoding keys pages by (token, next token) pairs
            # (mem_cache/events.py: page_tokens = [(raw[j], raw[j + 1]) ...])
            stored["token_ids"] = [[t, t + 1] for t in tokens]
        if a.salt and seq == 0:
            if profile["extra_keys"]:
                stored["extra_keys"] = [[a.salt]]  # vLLM: the salt is an extra key of the prompt's first block
            elif profile["events"].startswith("sglang"):
                stored["cache_salt"] = a.salt
        if a.salt and seq > 0 and profile["events"].startswith("sglang"):
            stored["cache_salt"] = a.salt  # SGLang sends the request's salt with each of its stores
        events = []
        groups = [(0, "full_attention", None), (1, "sliding_window", 32)] if a.groups else [(None, None, None)]
        for group, kind, window in groups:
            e = dict(stored)
            if group is not None:
                e.update(group_idx=group, kv_cache_spec_kind=kind, kv_cache_spec_sliding_window=window)
            events.append(e)
        if a.duplicates and seq % 3 == 2:
            # another request computed the previous block again: a second physical copy of the same hash
            # (vllm/v1/core/block_pool.py keeps every block per hash; each eviction removes one copy)
            again = dict(self.stored_events[seq - 1])
            events.append(again)
        removed_medium = "GPU" if profile["medium"] else None
        if seq % 5 == 4:
            events.append({"type": "BlockRemoved", "block_hashes": [hash_of(self.epoch, seq - 3)],
                           "medium": removed_medium, "group_idx": 0 if a.groups else None})
        if a.groups and seq >= 2:
            # the sliding window moved past block seq-2: that group frees it, full attention keeps it
            events.append({"type": "BlockRemoved", "block_hashes": [hash_of(self.epoch, seq - 2)],
                           "medium": removed_medium, "group_idx": 1})
        self.stored_events[seq] = stored
        return events

    def ts(self, seq):
        if self.args.clock == "wall":
            return time.time() - self.args.lag
        return 1757500000.0 + seq / 1000.0

    def payload(self, seq):
        events = self.events(seq)
        ts = self.ts(seq)
        self.truth.append((seq, events, ts))
        return encode_batch(ts, events, self.args.rank, self.args.profile, self.args.hashes)

    def json_truth(self, source):
        """Every buffered batch's events in tail -o json's form (EventSchema's fields, absent ones null)."""
        lines = []
        held = {seq for seq, _ in self.buffer}
        for seq, events, ts in self.truth:
            if seq not in held:
                continue
            for e in events:
                fields = STORED_JSON if e["type"] == "BlockStored" else REMOVED_JSON
                line = {"source": source, "seq": seq, "ts": ts,
                        "data_parallel_rank": self.args.rank if PROFILES[self.args.profile]["rank"] else None,
                        "type": e["type"]}
                for k in fields:
                    v = e.get(k)
                    if k == "block_hashes":
                        v = [str(x) for x in v]
                    elif k == "parent_block_hash" and v is not None:
                        v = str(v)
                    elif k == "token_ids" and v and isinstance(v[0], list):
                        v = [pair[0] for pair in v]  # a bigram page is its first tokens
                    line[k] = v
                lines.append(line)
        return json.dumps(lines)

    def resident_prefix(self):
        """How many leading blocks of tokens 0, 1, 2, ... the engine holds in its full-attention group."""
        copies = {}
        for _, events, _ in self.truth:
            for e in events:
                if e.get("group_idx") not in (None, 0):
                    continue
                for h in e["block_hashes"]:
                    copies[h] = copies.get(h, 0) + (1 if e["type"] == "BlockStored" else -1)
        n = 0
        while copies.get(hash_of(self.epoch, n), 0) > 0:
            n += 1
        return n

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
        if self.stall_next:
            time.sleep(self.stall_next / 1000.0)
            self.stall_next = 0
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
        self.truth = []
        self.stored_events = {}
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
        elif op == "stall":
            self.stall_next = int(words[1])
        elif op == "garbage":
            # a live message with a 2-byte seq frame, then a batch whose payload is not msgpack
            self.pub.send_multipart((self.args.topic.encode(), b"\x00\x01", b"x"))
            seq = self.seq
            self.seq += 1
            self.buffer.append((seq, b"\xc1not msgpack"))
            self.pub.send_multipart((self.args.topic.encode(), seq.to_bytes(8, "big"), b"\xc1not msgpack"))
        elif op == "json":
            return "ok " + self.json_truth(words[1])
        elif op == "truth":
            return "ok prefix=%d" % self.resident_prefix()
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
    p.add_argument("--format", choices=["map", "array"], default="map",
                   help="map: vLLM 0.25's layout; array: vLLM 0.23's (see --profile)")
    p.add_argument("--profile", choices=sorted(PROFILES), help="a publisher version (default: from --format)")
    p.add_argument("--rank", type=int, default=0, help="the data-parallel rank the batches name")
    p.add_argument("--salt", help="salt the prompt (vLLM: extra key of block 0; SGLang: cache_salt on its stores)")
    p.add_argument("--bigram", action="store_true", help="SGLang with EAGLE: token_ids as (token, next) pairs")
    p.add_argument("--groups", action="store_true",
                   help="a hybrid model: each block stored in a full-attention and a sliding-window group")
    p.add_argument("--duplicates", action="store_true", help="every third batch stores the previous block again")
    p.add_argument("--hashes", choices=["int", "signed", "bytes"], help="block hash encoding (default: the profile's)")
    p.add_argument("--topic", default="kv@pod-a@demo-model")
    p.add_argument("--topic-frame", action="store_true", default=None,
                   help="replay replies carry the topic (vLLM >= 0.26; default: the profile's)")
    p.add_argument("--clock", choices=["fixed", "wall"], default="fixed",
                   help="batch timestamps: fixed (1757500000 + seq/1000, for byte-exact truths) or wall, time.time()"
                        " as vLLM v0.11.0 vllm/v1/core/sched/scheduler.py stamps KVEventBatch")
    p.add_argument("--lag", type=float, default=0, help="with --clock wall: stamp batches this many seconds late")
    p.add_argument("--buffer", type=int, default=10000)
    p.add_argument("--router-hwm", type=int, default=1000)
    p.add_argument("--host", default="127.0.0.1", help="the address to bind: 127.0.0.1, or ::1 for IPv6")
    p.add_argument("--reply-gap-ms", type=float, default=0,
                   help="pause between replay replies: a loaded engine, or a slow path (a port-forward)")
    p.add_argument("--check-vectors")
    args = p.parse_args()
    args.profile = args.profile or FORMATS[args.format]
    args.hashes = args.hashes or PROFILES[args.profile]["hashes"]
    if args.topic_frame is None:
        args.topic_frame = PROFILES[args.profile]["topic_frame"]
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
