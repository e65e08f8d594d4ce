import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { fixture } from "../../test/support/fixtures.js";
import { captureState } from "../model/capture-state.js";
import { frame as frameSchema, type Frame } from "../model/events.js";
import { EventHub } from "./hub.js";
import { EventServer, bearerMatches, type Limits } from "./ws-server.js";

const spike = (s: string) => captureState(fixture("spike-2026-11-24", s));
const TOKEN = "s3cret-token-0123456789";
const quietLog = { info: () => undefined, warn: () => undefined };

interface TestClient {
  ws: WebSocket;
  frames: Frame[];
  closed: Promise<{ code: number; reason: string }>;
  waitFor(pred: (frames: Frame[]) => boolean, ms?: number): Promise<void>;
}

function client(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): TestClient {
  const ws = new WebSocket(url, options);
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (data) => {
    frames.push(frameSchema.parse(JSON.parse(String(data))));
    for (const w of waiters) w();
  });
  ws.on("error", () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
  return {
    ws,
    frames,
    closed,
    waitFor(pred, ms = 5000) {
      return new Promise((resolve, reject) => {
        if (pred(frames)) return resolve();
        const t = setTimeout(() => reject(new Error(`timed out; got ${frames.map((f) => f.type).join(",")}`)), ms);
        waiters.push(() => {
          if (pred(frames)) {
            clearTimeout(t);
            resolve();
          }
        });
      });
    },
  };
}

/** Resolves with the HTTP status of a refused upgrade. */
function refusedStatus(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => reject(new Error("the upgrade was accepted")));
    ws.on("error", () => undefined);
  });
}

const hasType = (type: string) => (frames: Frame[]) => frames.some((f) => f.type === type);
const events = (frames: Frame[]) => frames.filter((f) => f.type === "exists" || f.type === "create" || f.type === "change" || f.type === "destroy");

function journalLine(i: number, reason = "x") {
  return { time: new Date(0).toISOString(), agent: "raid", instance: `r${i % 3}`, action: "monitor", kind: "action-end" as const, rc: 0, durationMs: 12, reason };
}

describe("event stream protocol", () => {
  let dir: string;
  let hub: EventHub;
  let server: EventServer;
  let unixUrl: string;
  let tcpUrl: string;
  const limits: Limits = { maxClients: 5, slowClientBytes: 64 * 1024, pingIntervalMs: 60_000, bookmarkIntervalMs: 0 };

  async function startServer(ringSize = 100, overrides: Partial<Limits> = {}): Promise<void> {
    hub = new EventHub("node1", ringSize);
    server = new EventServer({
      hub,
      socketPath: join(dir, "pmsappd.sock"),
      socketMode: 0o660,
      tcp: { host: "127.0.0.1", port: 0 },
      token: () => TOKEN,
      limits: { ...limits, ...overrides },
      maxPayloadBytes: 4096,
      slowCloseGraceMs: 10_000,
      metrics: async () => ({ contentType: "text/plain", body: "pmsapp_events_total 1\n" }),
      log: quietLog,
    });
    await server.start();
    unixUrl = `ws+unix:${join(dir, "pmsappd.sock")}:/events`;
    tcpUrl = `ws://127.0.0.1:${server.tcpPort}/events`;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "pmsappd-ws-"));
  });
  afterEach(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a new client gets snapshot-begin, one exists per entity, snapshot-end, then live changes in order", async () => {
    await startServer();
    hub.setState(spike("raid1-healthy"));
    expect(statSync(join(dir, "pmsappd.sock")).mode & 0o777).toBe(0o660);
    const c = client(unixUrl);
    await c.waitFor(hasType("snapshot-end"));
    expect(c.frames[0]).toMatchObject({ type: "snapshot-begin", seq: 10, epoch: hub.epoch, node: "node1", reason: "new subscriber", count: 10 });
    expect(c.frames.slice(1, -1).every((f) => f.type === "exists" && f.seq === 10)).toBe(true);
    expect(c.frames.at(-1)).toMatchObject({ type: "snapshot-end", count: 10 });

    hub.setState(spike("raid1-member-faulty"));
    await c.waitFor((f) => f.length === 15);
    const live = c.frames.slice(12);
    expect(live.map((f) => [f.type, f.seq])).toEqual([["change", 11], ["change", 12], ["change", 13]]);
    expect(live[1]).toMatchObject({ kind: "member", id: "md127/sdb", state: { condition: "faulty" }, old: { condition: "in_sync" }, severity: "critical" });
    c.ws.close();
  });

  it("resume with since=<epoch>:<seq> replays exactly the missed events, then streams live", async () => {
    await startServer();
    hub.setState(spike("raid1-healthy"));
    hub.setState(spike("raid1-member-faulty"));
    hub.setState(spike("raid1-recovering"));
    const c = client(`${unixUrl}?since=${hub.epoch}:11`);
    await c.waitFor(hasType("replay-end"));
    expect(c.frames[0]).toMatchObject({ type: "replay-begin", count: 5 });
    expect(c.frames.slice(1, -1).map((f) => f.seq)).toEqual([12, 13, 14, 15, 16]);
    hub.setState(spike("raid1-healthy"));
    await c.waitFor((f) => f.some((x) => x.seq === 18 && x.type === "change"));
    c.ws.close();
  });

  it("ring overflow, a foreign epoch or a future seq give a snapshot with the reason", async () => {
    await startServer(10);
    hub.setState(spike("raid1-healthy")); // 10 events: seq 1..10 fill the ring
    hub.setState(spike("raid1-member-faulty")); // seq 11..13 push 1..3 out
    const overflow = client(`${unixUrl}?since=${hub.epoch}:1`);
    await overflow.waitFor(hasType("snapshot-end"));
    expect(overflow.frames[0]).toMatchObject({ type: "snapshot-begin", reason: expect.stringContaining("no longer in the ring") });
    expect(events(overflow.frames).every((f) => f.type === "exists")).toBe(true);

    const edge = client(`${unixUrl}?since=${hub.epoch}:3`); // 4..13 are all still there
    await edge.waitFor(hasType("replay-end"));
    expect(events(edge.frames).map((f) => f.seq)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);

    const foreign = client(`${unixUrl}?since=0b7e2c5e-0000-4000-8000-000000000000:5`);
    await foreign.waitFor(hasType("snapshot-end"));
    expect(foreign.frames[0]).toMatchObject({ reason: expect.stringContaining("daemon restarted") });

    const future = client(`${unixUrl}?since=${hub.epoch}:99`);
    await future.waitFor(hasType("snapshot-end"));
    expect(future.frames[0]).toMatchObject({ reason: expect.stringContaining("ahead") });
    for (const c of [overflow, edge, foreign, future]) c.ws.close();
  });

  it("a malformed since is refused before the upgrade (400)", async () => {
    await startServer();
    expect(await refusedStatus(`${unixUrl}?since=../../etc/passwd`)).toBe(400);
    expect(await refusedStatus(`${unixUrl.replace(/\/events$/, "/other")}`)).toBe(404);
  });

  it("TCP needs the bearer token before the upgrade: none or wrong -> 401, right -> stream; /metrics likewise", async () => {
    await startServer();
    hub.setState(spike("raid1-healthy"));
    expect(await refusedStatus(tcpUrl)).toBe(401);
    expect(await refusedStatus(tcpUrl, { headers: { Authorization: "Bearer wrong-token-0123456789" } })).toBe(401);
    expect(await refusedStatus(tcpUrl, { headers: { Authorization: `Basic ${TOKEN}` } })).toBe(401);
    const ok = client(tcpUrl, { headers: { Authorization: `Bearer ${TOKEN}` } });
    await ok.waitFor(hasType("snapshot-end"));
    ok.ws.close();

    const metricsUrl = `http://127.0.0.1:${server.tcpPort}/metrics`;
    expect((await fetch(metricsUrl)).status).toBe(401);
    const m = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(m.status).toBe(200);
    expect(await m.text()).toContain("pmsapp_events_total");
  });

  it("bearer comparison rejects near misses", () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer  ${TOKEN}`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN}`, undefined)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
  });

  it("an oversized frame closes that client (1009); a text message closes it (1008); others keep streaming", async () => {
    await startServer();
    hub.setState(spike("raid1-healthy"));
    const bystander = client(unixUrl);
    const big = client(unixUrl);
    const chatty = client(unixUrl);
    await Promise.all([bystander, big, chatty].map((c) => c.waitFor(hasType("snapshot-end"))));
    big.ws.send("x".repeat(10_000));
    chatty.ws.send(JSON.stringify({ type: "subscribe", kind: "everything" }));
    expect((await big.closed).code).toBe(1009);
    expect(await chatty.closed).toMatchObject({ code: 1008, reason: expect.stringContaining("read-only") });
    hub.setState(spike("raid1-member-faulty"));
    await bystander.waitFor((f) => f.some((x) => x.seq === 13));
    expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
    bystander.ws.close();
  });

  it("a garbage frame closes that client only", async () => {
    await startServer();
    const bystander = client(unixUrl);
    const garbage = client(unixUrl);
    await Promise.all([bystander, garbage].map((c) => c.waitFor(hasType("snapshot-end"))));
    // Bytes that are not a valid client frame (reserved opcode, unmasked), written under the ws framing.
    (garbage.ws as unknown as { _socket: import("node:net").Socket })._socket.write(Buffer.from([0x8f, 0x7f, 0xde, 0xad, 0xbe, 0xef]));
    const closed = await garbage.closed;
    expect(closed.code).not.toBe(1000);
    hub.recordAgent(journalLine(1));
    await bystander.waitFor((f) => events(f).some((x) => "kind" in x && x.kind === "agent" && x.type === "create"));
    expect(server.clientCount).toBe(1);
    bystander.ws.close();
  });

  it("a slow client is closed with 1013 when its buffer passes the limit; a fast one gets every event", async () => {
    await startServer(100_000);
    const fast = client(unixUrl);
    const slow = client(unixUrl);
    await Promise.all([fast, slow].map((c) => c.waitFor(hasType("snapshot-end"))));
    const slowSocket = (slow.ws as unknown as { _socket: import("node:net").Socket })._socket;
    slowSocket.pause();
    // The clients share this process's event loop: publish in batches the fast one can drain in between.
    const N = 2000;
    for (let i = 0; i < N; i += 20) {
      for (let k = i; k < i + 20; k++) hub.recordAgent(journalLine(k, "r".repeat(1500)));
      await fast.waitFor((f) => events(f).length === i + 20);
    }
    expect(events(fast.frames).map((f) => f.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(server.clientCount).toBe(1);
    slowSocket.resume();
    expect(await slow.closed).toMatchObject({ code: 1013, reason: expect.stringContaining("slow consumer") });
    expect(events(slow.frames).length).toBeLessThan(N);
    fast.ws.close();
  }, 30_000);

  it("the connection limit refuses the next client with 503", async () => {
    await startServer(100, { maxClients: 2 });
    const a = client(unixUrl);
    const b = client(unixUrl);
    await Promise.all([a, b].map((c) => c.waitFor(hasType("snapshot-end"))));
    expect(await refusedStatus(unixUrl)).toBe(503);
    a.ws.close();
    b.ws.close();
  });

  it("a client that stops answering pings is terminated", async () => {
    await startServer(100, { pingIntervalMs: 100 });
    const silent = client(unixUrl, { autoPong: false });
    const alive = client(unixUrl);
    await Promise.all([silent, alive].map((c) => c.waitFor(hasType("snapshot-end"))));
    const closed = await silent.closed;
    expect(closed.code).toBe(1006);
    await new Promise((r) => setTimeout(r, 300));
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    alive.ws.close();
  });

  it("refuses to start over a live socket of another daemon", async () => {
    await startServer();
    const second = new EventServer({
      hub,
      socketPath: join(dir, "pmsappd.sock"),
      token: () => undefined,
      limits,
      maxPayloadBytes: 4096,
      log: quietLog,
    });
    await expect(second.start()).rejects.toThrow(/another pmsappd is already listening/);
  });
});
