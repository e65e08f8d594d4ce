// Man pages are generated from README.md, the one source of the operator documentation: each page is one
// or more README parts (`<!-- section:NAME -->` blocks, or the introduction) rendered by markdown-to-man.
import { markdownToMan } from "./markdown-to-man.mjs";

/**
 * name/section: the page; summary: the NAME line; parts: README parts in order, each with the heading it
 * gets in the page (null keeps the part's own headings) and who writes it.
 */
export const MAN_PAGES = [
  {
    name: "pmsapp",
    section: 7,
    summary: "highly available NFS storage from the local disks of 2-3 cluster nodes",
    parts: [
      { part: "intro", heading: "DESCRIPTION", writtenBy: "the README's introduction" },
      { part: "install", heading: "INSTALLATION", writtenBy: "the packaging helper" },
    ],
  },
  {
    name: "pmsapp-raid",
    section: 7,
    summary: "resource agent for one md RAID over iSCSI (ocf:pmsapp:raid, rgmanager pmsapp-raid, swraid)",
    parts: [{ part: "raid-agent", heading: "DESCRIPTION", writtenBy: "the raid-agent helper" }],
  },
  {
    name: "pmsapp-target",
    section: 8,
    summary: "target keeper: exports this node's disk over iSCSI at boot, before md auto-assembly can claim it",
    parts: [{ part: "target-keeper", heading: "DESCRIPTION", writtenBy: "the target-keeper helper" }],
  },
  {
    name: "pmsappd",
    section: 8,
    summary: "pmsapp node daemon and the pmsapp operator CLI",
    parts: [{ part: "daemon", heading: "DESCRIPTION", writtenBy: "the daemon helper" }],
  },
];

/** Pages that only point at another (`.so`): the CLI is documented with the daemon it talks to. */
export const MAN_ALIASES = [{ name: "pmsapp", section: 1, sameAs: "man8/pmsappd.8" }];

/**
 * The text of one README part: a `<!-- section:NAME -->` block, or "intro" (between the title and the
 * first `## ` heading). Returns undefined when the part is missing or has no text yet.
 * @param {string} readme
 * @param {string} part
 */
export function readmePart(readme, part) {
  let text;
  if (part === "intro") {
    const m = /^# [^\n]*\n([\s\S]*?)(?=^## )/m.exec(readme);
    text = m?.[1];
  } else {
    const open = `<!-- section:${part} -->`;
    const close = `<!-- /section:${part} -->`;
    const start = readme.indexOf(open);
    const end = readme.indexOf(close, start + open.length);
    if (start !== -1 && end !== -1) text = readme.slice(start + open.length, end);
  }
  return text !== undefined && text.trim() !== "" ? text : undefined;
}

/**
 * Renders every page. Missing README parts come back as errors naming who writes them; nothing is
 * rendered half.
 * @param {string} readme
 * @param {string} version
 * @returns {{ ok: true, pages: { file: string, section: number, text: string }[] } | { ok: false, errors: string[] }}
 */
export function renderManPages(readme, version) {
  const errors = [];
  const pages = [];
  for (const page of MAN_PAGES) {
    const body = [];
    for (const p of page.parts) {
      const text = readmePart(readme, p.part);
      if (text === undefined) {
        errors.push(`README.md part "${p.part}" is empty or missing (written by ${p.writtenBy}); man page ${page.name}(${page.section}) needs it`);
        continue;
      }
      body.push(`.SH ${p.heading}\n`, markdownToMan(demoteHeadings(text)));
    }
    const seeAlso = MAN_PAGES.filter((o) => o !== page).map((o) => `.BR ${o.name} (${o.section})`);
    const head = [
      `.\\" Generated from README.md by packaging/man/pages.mjs; edit the README, not this file.`,
      `.TH ${page.name.toUpperCase()} ${page.section} "" "pmsapp ${version}" "pmsapp manual"`,
      ".SH NAME",
      `${page.name} \\- ${page.summary}`,
    ].join("\n");
    const tail = [".SH SEE ALSO", seeAlso.join(",\n")].join("\n");
    pages.push({ file: `${page.name}.${page.section}`, section: page.section, text: `${head}\n${body.join("")}${tail}\n` });
  }
  for (const alias of MAN_ALIASES) pages.push({ file: `${alias.name}.${alias.section}`, section: alias.section, text: `.so ${alias.sameAs}\n` });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, pages };
}

/** Inside a page, a part's own `##` headings become subsections under the part's `.SH`. @param {string} text */
function demoteHeadings(text) {
  let fence = "";
  return text
    .split("\n")
    .map((line) => {
      const f = /^\s*(```+|~~~+)/.exec(line);
      if (f) fence = fence === "" ? (f[1] ?? "") : line.trim().startsWith(fence) ? "" : fence;
      return fence === "" && !f ? line.replace(/^(#{1,2})(\s)/, "###$2") : line;
    })
    .join("\n");
}
