import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { fixture } from "../../test/support/fixtures.js";
import { captureState } from "../model/capture-state.js";
import type { Frame } from "../model/events.js";
import { EventHub } from "../server/hub.js";
import { EventServer } from "../server/ws-server.js";
import { openStream } from "./stream-client.js";

const spike = (s: string) => captureState(fixture("spike-2026-11-24", s));
const quiet = { info: () => undefined, warn: () => undefined };

describe("stream client", () => {
  let dir = "";
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it("frames read after the end marker (live events in the same read) are not handed out", async () => {
    dir = mkdtempSync(join(tmpdir(), "pmsapp-sc-"));
    const hub = new EventHub("node1", 100);
    hub.setState(spike("raid1-healthy"));
    const snapshot = hub.snapshotFrames("new subscriber");
    const change = hub.setState(spike("raid1-member-faulty")).map((e) => e.text);
    // One write with the snapshot and the live changes behind it, as a busy daemon sends them.
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    wss.on("connection", (ws) => {
      for (const f of [...snapshot, ...change]) ws.send(f);
    });
    closers.push(() => new Promise((r) => wss.close(() => r())));
    await new Promise((r) => wss.once("listening", r));
    const port = (wss.address() as { port: number }).port;
    const seen: Frame[] = [];
    const end = await openStream({ name: "node1", url: `ws://127.0.0.1:${port}/events`, display: "test" }, { token: undefined, stopAtMarker: true, connectTimeoutMs: 2000, onFrame: (f) => seen.push(f) }).done;
    expect(end.kind).toBe("marker");
    expect(seen.at(-1)?.type).toBe("snapshot-end");
    expect(seen.filter((f) => f.type === "change")).toEqual([]);
    expect(seen.length).toBe(snapshot.length);
  });

  it("a follower gives up on a daemon that sends neither frames nor pings (a node that lost power), not on one that pings", async () => {
    dir = mkdtempSync(join(tmpdir(), "pmsapp-sc-"));
    const start = async (name: string, pingIntervalMs: number) => {
      const hub = new EventHub("node1", 100);
      hub.setState(spike("raid1-healthy"));
      const server = new EventServer({ hub, socketPath: join(dir, name), token: () => undefined, limits: { maxClients: 5, slowClientBytes: 1 << 20, pingIntervalMs, bookmarkIntervalMs: 0 }, maxPayloadBytes: 4096, log: quiet });
      await server.start();
      closers.push(() => server.close());
      return { name: "node1", url: `ws+unix:${join(dir, name)}:/events`, display: name };
    };
    const silent = await start("silent.sock", 600_000);
    const pinging = await start("pinging.sock", 100);
    const t0 = Date.now();
    const ended = await openStream(silent, { token: undefined, stopAtMarker: false, connectTimeoutMs: 2000, silenceMs: 400, onFrame: () => undefined }).done;
    expect(ended).toEqual({ kind: "unreachable", reason: "silent.sock sent nothing (no event, bookmark or ping) for 0 s; node down or cut off" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    const alive = openStream(pinging, { token: undefined, stopAtMarker: false, connectTimeoutMs: 2000, silenceMs: 400, onFrame: () => undefined });
    const outcome = await Promise.race([alive.done, new Promise((r) => setTimeout(() => r("still open"), 1500))]);
    expect(outcome).toBe("still open");
    alive.close();
  });

  it("a node that accepts the connection but never answers the upgrade is named as not answering", async () => {
    const held: Socket[] = [];
    const mute = createServer((sock) => held.push(sock));
    await new Promise<void>((r) => mute.listen(0, "127.0.0.1", () => r()));
    closers.push(() => new Promise((r) => {
      for (const h of held) h.destroy();
      mute.close(() => r());
    }));
    const port = (mute.address() as { port: number }).port;
    const display = `ws://127.0.0.1:${port}`;
    const end = await openStream({ name: "node3", url: `${display}/events`, display }, { token: undefined, stopAtMarker: true, connectTimeoutMs: 300, onFrame: () => undefined }).done;
    expect(end).toEqual({ kind: "unreachable", reason: `no answer from ${display} in time (node down or cut off?)` });
  });
});
