// Renders the Markdown the README uses (headings, paragraphs, fenced code, bullet and numbered lists,
// pipe tables, inline code/bold/italic/links) into man(7) roff, so man pages come from the same text as
// the README and never drift from it. Anything else is kept as plain, escaped text.

/**
 * @param {string} markdown
 * @returns {string} roff body lines (no .TH), each ending in "\n"
 */
export function markdownToMan(markdown) {
  const out = [];
  const lines = markdown.replace(/<!--[\s\S]*?-->/g, "").split(/\r?\n/);
  /** @type {string[]} */
  let paragraph = [];
  let listDepth = 0; // how many .RS are open for nested list items

  const flushParagraph = () => {
    if (paragraph.length === 0) return;
    out.push(listDepth > 0 ? ".IP" : ".PP", protect(inline(paragraph.join(" "))));
    paragraph = [];
  };
  const closeLists = () => {
    while (listDepth > 1) {
      out.push(".RE");
      listDepth -= 1;
    }
    listDepth = 0;
  };

  for (let i = 0; i < lines.length; i += 1) {
    const line = /** @type {string} */ (lines[i]);
    const fence = /^\s*(```+|~~~+)/.exec(line);
    if (fence) {
      flushParagraph();
      closeLists();
      const close = fence[1];
      const code = [];
      for (i += 1; i < lines.length && !(/** @type {string} */ (lines[i]).trim().startsWith(/** @type {string} */ (close))); i += 1) {
        code.push(/** @type {string} */ (lines[i]));
      }
      out.push(".PP", ".RS 4", ".nf", ...code.map((c) => protect(escapeCode(c))), ".fi", ".RE");
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flushParagraph();
      closeLists();
      const level = /** @type {string} */ (heading[1]).length;
      const text = /** @type {string} */ (heading[2]);
      out.push(level <= 2 ? `.SH "${inline(text.toUpperCase()).replace(/"/g, "\\(dq")}"` : `.SS "${inline(text).replace(/"/g, "\\(dq")}"`);
      continue;
    }
    if (/^\s*\|.*\|\s*$/.test(line)) {
      flushParagraph();
      closeLists();
      const rows = [];
      for (; i < lines.length && /^\s*\|.*\|\s*$/.test(/** @type {string} */ (lines[i])); i += 1) rows.push(splitRow(/** @type {string} */ (lines[i])));
      i -= 1;
      out.push(...renderTable(rows));
      continue;
    }
    const item = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      flushParagraph();
      const depth = Math.floor(/** @type {string} */ (item[1]).length / 2) + 1;
      if (listDepth === 0) listDepth = 1;
      while (listDepth < depth) {
        out.push(".RS 2");
        listDepth += 1;
      }
      while (listDepth > depth) {
        out.push(".RE");
        listDepth -= 1;
      }
      const marker = /** @type {string} */ (item[2]);
      const tag = /^\d/.test(marker) ? `${marker.replace(/\)$/, ".")}` : "\\(bu";
      const text = [/** @type {string} */ (item[3])];
      // Continuation lines of the same item: indented, non-blank, not a new item.
      while (i + 1 < lines.length && /^\s+\S/.test(/** @type {string} */ (lines[i + 1])) && !/^\s*([-*+]|\d+[.)])\s+/.test(/** @type {string} */ (lines[i + 1])) && !/^\s*(```|~~~|\|)/.test(/** @type {string} */ (lines[i + 1]))) {
        i += 1;
        text.push(/** @type {string} */ (lines[i]).trim());
      }
      out.push(`.IP ${tag} 4`, protect(inline(text.join(" "))));
      continue;
    }
    if (line.trim() === "") {
      flushParagraph();
      // A blank line ends a list unless the next text continues it (indented or another item).
      const next = lines.slice(i + 1).find((l) => l.trim() !== "");
      if (listDepth > 0 && (next === undefined || !/^(\s+\S|\s*([-*+]|\d+[.)])\s+)/.test(next))) closeLists();
      continue;
    }
    paragraph.push(line.trim());
  }
  flushParagraph();
  closeLists();
  return out.map((l) => l + "\n").join("");
}

/** @param {string} line */
function splitRow(line) {
  const inner = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  // Split on pipes that are not inside `code` and not escaped.
  const cells = [];
  let cell = "";
  let inCode = false;
  for (let k = 0; k < inner.length; k += 1) {
    const ch = inner[k];
    if (ch === "\\" && inner[k + 1] === "|") {
      cell += "|";
      k += 1;
    } else if (ch === "`") {
      inCode = !inCode;
      cell += ch;
    } else if (ch === "|" && !inCode) {
      cells.push(cell.trim());
      cell = "";
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/** A table becomes a tagged list: the first cell is the tag, the other cells follow, labelled by their header. */
/** @param {string[][]} rows */
function renderTable(rows) {
  const isRule = (/** @type {string[]} */ r) => r.every((c) => /^:?-{3,}:?$/.test(c));
  const header = rows.length > 1 && isRule(/** @type {string[]} */ (rows[1])) ? /** @type {string[]} */ (rows[0]) : undefined;
  const body = header ? rows.slice(2) : rows.filter((r) => !isRule(r));
  const out = [];
  for (const row of body) {
    const tag = inline(row[0] ?? "");
    out.push(".TP", protect(tag.includes("\\f") ? tag : `\\fB${tag}\\fR`));
    const rest = row.slice(1).map((c, k) => (header && row.length > 2 && header[k + 1] ? `${inline(header[k + 1] ?? "")}: ${inline(c)}` : inline(c)));
    rest.forEach((text, k) => {
      if (k > 0) out.push(".br");
      out.push(protect(text));
    });
  }
  return out;
}

/**
 * Inline Markdown to roff: `code` bold, **bold**, *italic* / _italic_, [text](link) as "text (link)" for
 * absolute links and just "text" for links inside the repository.
 * @param {string} text
 */
export function inline(text) {
  const codes = [];
  let s = text.replace(/`([^`]+)`/g, (_, code) => {
    codes.push(`\\fB${escapeCode(code)}\\fR`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  s = escapeText(s);
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label, url) => (/^[a-z]+:/.test(url) ? `${label} (${url})` : label));
  s = s.replace(/\*\*([^*]+)\*\*/g, "\\fB$1\\fR");
  s = s.replace(/(^|[\s(])\*([^*\s][^*]*)\*(?=[\s.,;:)]|$)/g, "$1\\fI$2\\fR");
  s = s.replace(/(^|[\s(])_([^_\s][^_]*)_(?=[\s.,;:)]|$)/g, "$1\\fI$2\\fR");
  s = s.replace(/<br\s*\/?>/g, " ");
  return s.replace(/\u0000(\d+)\u0000/g, (_, n) => codes[Number(n)]);
}

/** @param {string} text */
function escapeText(text) {
  return unicodeEscapes(text.replace(/\\/g, "\\e"));
}

/** In code, a hyphen is a real minus (so options can be searched and copied). @param {string} text */
function escapeCode(text) {
  return unicodeEscapes(text.replace(/\\/g, "\\e").replace(/-/g, "\\-"));
}

/**
 * Non-ASCII characters as roff's \[uXXXX] escapes: groff reads its input as Latin-1 unless a
 * preprocessor converts it, so UTF-8 text (an em dash, "·", "…") would come out garbled with warnings.
 * @param {string} text
 */
function unicodeEscapes(text) {
  return text.replace(/[^\x00-\x7f]/gu, (ch) => `\\[u${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}]`);
}

/** A line starting with . or ' would be read as a roff request. @param {string} line */
function protect(line) {
  return /^[.']/.test(line) ? `\\&${line}` : line;
}
