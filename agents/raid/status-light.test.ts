import { readdirSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { findMdArrayByUuid, isRunning } from "../md/array-state.js";
import { OCF } from "../ocf/exit-codes.js";
import { captureHostFs } from "../system/capture-fs.js";
import { checkArrayRuns } from "./status-light.js";

const SPIKE = fixture("spike-2026-11-24");
const captures = readdirSync(SPIKE).filter((d) => statSync(`${SPIKE}/${d}`).isDirectory() && d !== "login-dead-target");
const RAID1 = "1e618de3:71fb3487:b1b62896:ad659dc6";

describe("checkArrayRuns on every captured state", () => {
  it("the depth-0 reading (state only) gives the same answer as the full one, which matches findMdArrayByUuid", () => {
    let running = 0;
    for (const c of captures) {
      const fs = captureHostFs(`${SPIKE}/${c}`);
      const uuids = [RAID1, ...(fs.readDir("/sys/block") ?? []).map((n) => fs.readText(`/sys/block/${n}/md/uuid`)?.trim()).filter((u): u is string => u !== undefined)];
      for (const uuid of uuids) {
        for (const md of ["/dev/md127", "/dev/md0"]) {
          const full = checkArrayRuns(fs, uuid, md);
          const light = checkArrayRuns(fs, uuid, md, "state");
          expect({ rc: light.rc, reason: light.reason }, `${c} ${uuid} ${md}`).toEqual({ rc: full.rc, reason: full.reason });
          expect(light.array).toBeUndefined();
          const a = findMdArrayByUuid(fs, uuid);
          expect(full.array, `${c} ${uuid}`).toEqual(a);
          if (a === undefined) expect(full.rc).toBe(OCF.NOT_RUNNING);
          else if (!isRunning(a)) expect(full.rc).toBe(OCF.ERR_GENERIC);
          else if (md === "/dev/md127") {
            expect(full.rc).toBe(OCF.SUCCESS);
            running++;
          } else expect(full.reason).toMatch(/runs as \/dev\/md127, not as \/dev\/md0/);
        }
      }
    }
    expect(running).toBeGreaterThanOrEqual(4);
  });
});
