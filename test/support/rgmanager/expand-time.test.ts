import { describe, expect, it } from "vitest";
import { expandTime, isPlainTime } from "./expand-time.js";

describe("expandTime (rgmanager resrules.c expand_time)", () => {
  // The values the contract reference §1.2 verified by compiling the RGM-3.0.12 function.
  it.each([
    ["20", 20],
    ["20s", 20],
    ["1m", 60],
    ["20000ms", 1_200_000],
    ["1.5m", 300],
    ["90sec", 90],
    ["1h30m", 5400],
  ])("%s -> %i", (text, seconds) => {
    expect(expandTime(text)).toBe(seconds);
  });

  it("reads every unit, upper case too, and adds terms", () => {
    expect(expandTime("1h")).toBe(3600);
    expect(expandTime("2d")).toBe(172_800);
    expect(expandTime("1w")).toBe(604_800);
    expect(expandTime("1y")).toBe(31_536_000);
    expect(expandTime("1M")).toBe(60);
    expect(expandTime("1d1h1m1s")).toBe(86_400 + 3600 + 60 + 1);
  });

  it("gives 0 for absent, empty and unit-less garbage", () => {
    expect(expandTime(undefined)).toBe(0);
    expect(expandTime(null)).toBe(0);
    expect(expandTime("")).toBe(0);
    expect(expandTime("abc")).toBe(0);
    expect(expandTime("10x")).toBe(0);
  });
});

describe("isPlainTime", () => {
  it("accepts only a whole number with at most one unit", () => {
    for (const ok of ["0", "30", "30s", "1m", "1h"]) expect(isPlainTime(ok), ok).toBe(true);
    for (const bad of ["20000ms", "1.5m", "90sec", "1h30m", "", " 30", "-1"]) expect(isPlainTime(bad), bad).toBe(false);
  });
});
