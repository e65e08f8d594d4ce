// Types for markdown-to-man.mjs (plain JS so the RPM's %install can run it without a build step).
export function markdownToMan(markdown: string): string;
export function inline(text: string): string;
