import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EventHub } from "./hub.js";
import { EventServer } from "./ws-server.js";

const quietLog = { info: () => undefined, warn: () => undefined };
const limits = { maxClients: 5, slowClientBytes: 65536, pingIntervalMs: 60_000, bookmarkIntervalMs: 0 };

/** A group other than ours when we are root (only root may give files any group), else our own. */
function otherGid(): number {
  const own = process.getgid?.() ?? 0;
  if (own !== 0 && process.getuid?.() !== 0) return own;
  const line = readFileSync("/etc/group", "utf8").split("\n").find((l) => /^[^:]+:[^:]*:[1-9]\d*:/.test(l));
  return Number(line?.split(":")[2]);
}

describe("socket_group", () => {
  let dir = "";
  let server: EventServer | undefined;
  afterEach(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the socket and its folder closed to others get the group (folder keeps 0750 with group search)", async () => {
    dir = mkdtempSync(join(tmpdir(), "pmsappd-group-"));
    const run = join(dir, "run");
    mkdirSync(run, { mode: 0o700 });
    const gid = otherGid();
    server = new EventServer({ hub: new EventHub("n1", 10), socketPath: join(run, "pmsappd.sock"), socketMode: 0o660, socketGid: gid, token: () => undefined, limits, maxPayloadBytes: 4096, log: quietLog });
    await server.start();
    const sock = statSync(join(run, "pmsappd.sock"));
    expect([sock.gid, sock.mode & 0o777]).toEqual([gid, 0o660]);
    const folder = statSync(run);
    expect([folder.gid, folder.mode & 0o777]).toEqual([gid, 0o710]);
  });

  it("a folder open to others keeps its group; only the socket gets it", async () => {
    dir = mkdtempSync(join(tmpdir(), "pmsappd-group-"));
    const before = statSync(dir);
    const gid = otherGid();
    server = new EventServer({ hub: new EventHub("n1", 10), socketPath: join(dir, "s.sock"), socketMode: 0o660, socketGid: gid, token: () => undefined, limits, maxPayloadBytes: 4096, log: quietLog });
    // mkdtemp makes 0700: open it to others first, like /tmp or /run.
    chmodSync(dir, 0o755);
    await server.start();
    expect(statSync(join(dir, "s.sock")).gid).toBe(gid);
    expect(statSync(dir).gid).toBe(before.gid);
  });
});
