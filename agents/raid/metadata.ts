/**
 * meta-data in the two dialects the cluster managers read (cluster-manager-contract.md 2.3, 3.5): no single
 * document satisfies both DTDs, so each face gets its own. Both start with `<?xml` as their very first
 * bytes (rgmanager silently skips an agent whose meta-data does not) and depend on nothing but this table.
 */
import { PARAMS, type ParamDef } from "./params.js";

export const OCF_AGENT_NAME = "raid";
export const RGMANAGER_TYPE_NAME = "pmsapp-raid";
export const AGENT_VERSION = "1.0";

interface ActionDef {
  readonly name: string;
  readonly timeout: string;
  readonly interval?: string;
  readonly depth?: number;
}

const SHORTDESC = "md RAID over iSCSI: bounded parallel login and safe assembly of one array";
const LONGDESC =
  "Logs in to exactly the configured iSCSI targets in parallel under one deadline, checks every member's md superblock, " +
  "decides whether the array may start (all members, or a policy-approved degraded start that provably includes the freshest member), " +
  "assembles it by UUID from an explicit member list, and on stop refuses while the array is mounted or held, then logs out only its own sessions. " +
  "status depth 0 checks that the array with this UUID runs, depth 10 checks members and sessions (degraded is reported), depth 20 reads from the array.";

// rgmanager only schedules `status` (never monitor) and only when it has an interval; each depth needs
// its own entry. Pacemaker needs distinct intervals per monitor depth.
const RGMANAGER_ACTIONS: readonly ActionDef[] = [
  { name: "start", timeout: "60" },
  { name: "stop", timeout: "30" },
  { name: "status", timeout: "10", interval: "30", depth: 0 },
  { name: "status", timeout: "20", interval: "60", depth: 10 },
  { name: "status", timeout: "30", interval: "300", depth: 20 },
  { name: "monitor", timeout: "10", interval: "30", depth: 0 },
  { name: "monitor", timeout: "20", interval: "60", depth: 10 },
  { name: "monitor", timeout: "30", interval: "300", depth: 20 },
  { name: "meta-data", timeout: "5" },
  { name: "validate-all", timeout: "10" },
];

const OCF_ACTIONS: readonly ActionDef[] = [
  { name: "start", timeout: "60s" },
  { name: "stop", timeout: "30s" },
  { name: "monitor", timeout: "10s", interval: "30s", depth: 0 },
  { name: "monitor", timeout: "20s", interval: "61s", depth: 10 },
  { name: "monitor", timeout: "30s", interval: "307s", depth: 20 },
  { name: "status", timeout: "10s" },
  { name: "meta-data", timeout: "5s" },
  { name: "validate-all", timeout: "10s" },
];

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function parameterXml(p: ParamDef, dialect: "ocf" | "rgmanager"): string {
  const attrs = [`name="${p.name}"`];
  if (dialect === "rgmanager" && p.primary === true) attrs.push(`primary="1"`);
  attrs.push(`required="${p.required ? 1 : 0}"`, `unique="${p.unique ? 1 : 0}"`);
  const content = p.default !== undefined ? `<content type="${p.type}" default="${escapeXml(p.default)}"/>` : `<content type="${p.type}"/>`;
  return [
    `    <parameter ${attrs.join(" ")}>`,
    `      <longdesc lang="en">${escapeXml(p.longdesc)}</longdesc>`,
    `      <shortdesc lang="en">${escapeXml(p.shortdesc)}</shortdesc>`,
    `      ${content}`,
    `    </parameter>`,
  ].join("\n");
}

function actionXml(a: ActionDef): string {
  const attrs = [`name="${a.name}"`, `timeout="${a.timeout}"`];
  if (a.interval !== undefined) attrs.push(`interval="${a.interval}"`);
  if (a.depth !== undefined) attrs.push(`depth="${a.depth}"`);
  return `    <action ${attrs.join(" ")}/>`;
}

function document(dialect: "ocf" | "rgmanager"): string {
  const ocf = dialect === "ocf";
  const lines = [
    `<?xml version="1.0"?>`,
    ...(ocf ? [`<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">`] : []),
    `<resource-agent name="${ocf ? OCF_AGENT_NAME : RGMANAGER_TYPE_NAME}" version="${AGENT_VERSION}">`,
    `  <version>1.0</version>`,
    `  <longdesc lang="en">${escapeXml(LONGDESC)}</longdesc>`,
    `  <shortdesc lang="en">${escapeXml(SHORTDESC)}</shortdesc>`,
    `  <parameters>`,
    ...PARAMS.map((p) => parameterXml(p, dialect)),
    `  </parameters>`,
    `  <actions>`,
    ...(ocf ? OCF_ACTIONS : RGMANAGER_ACTIONS).map(actionXml),
    `  </actions>`,
    // One reference only: the same array must never appear twice in a service tree.
    ...(ocf ? [] : [`  <special tag="rgmanager">`, `    <attributes maxinstances="1"/>`, `  </special>`]),
    `</resource-agent>`,
  ];
  return lines.join("\n") + "\n";
}

export function ocfMetadata(): string {
  return document("ocf");
}

export function rgmanagerMetadata(): string {
  return document("rgmanager");
}
