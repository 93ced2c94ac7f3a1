/**
 * The one small stylesheet of the page and the Mini App (served at /page/style.css): readable on a
 * 360-px phone, long hashes and addresses break anywhere so nothing scrolls sideways, Telegram's
 * theme colours when the Mini App runs inside Telegram, light and dark otherwise. No build step.
 */
export const STYLESHEET = `
:root { color-scheme: light dark; --bg: var(--tg-theme-bg-color, #fff); --fg: var(--tg-theme-text-color, #111);
  --muted: var(--tg-theme-hint-color, #666); --accent: var(--tg-theme-button-color, #2a6df4);
  --accent-fg: var(--tg-theme-button-text-color, #fff); --card: var(--tg-theme-secondary-bg-color, #f3f4f6); }
@media (prefers-color-scheme: dark) { :root { --bg: var(--tg-theme-bg-color, #15171a); --fg: var(--tg-theme-text-color, #eee);
  --muted: var(--tg-theme-hint-color, #9aa); --card: var(--tg-theme-secondary-bg-color, #22252a); } }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: var(--bg); color: var(--fg); }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; padding: 12px; max-width: 760px; margin: 0 auto;
  overflow-wrap: anywhere; }
h1 { font-size: 1.25rem; margin: 0 0 8px; }
h2 { font-size: 1.1rem; margin: 16px 0 6px; }
h3 { font-size: 1rem; margin: 12px 0 4px; }
a { color: var(--accent); }
code, pre, textarea { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code.mono, pre { word-break: break-all; overflow-wrap: anywhere; white-space: pre-wrap; }
pre { background: var(--card); padding: 8px; border-radius: 6px; margin: 6px 0; user-select: all; }
article, section.pool, section.audit, .panel { background: var(--card); border-radius: 10px; padding: 10px 12px; margin: 10px 0; }
.facts { display: grid; grid-template-columns: minmax(0, 7.5em) minmax(0, 1fr); gap: 4px 10px; margin: 6px 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; min-width: 0; }
.state { font-weight: 600; margin: 0 0 4px; }
ul.rules, ul.checks, ul.votes, ul.list { padding-left: 0; list-style: none; margin: 4px 0; }
ul.rules li, ul.checks li, ul.list li { padding: 4px 0; border-top: 1px solid color-mix(in srgb, var(--muted) 25%, transparent); }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
td, th { text-align: left; padding: 4px; vertical-align: top; overflow-wrap: anywhere; }
label { display: block; font-weight: 600; margin: 8px 0 4px; }
textarea, input[type=password], input[type=text] { width: 100%; max-width: 100%; padding: 8px; border-radius: 6px;
  border: 1px solid var(--muted); background: var(--bg); color: var(--fg); }
button { font: inherit; font-weight: 600; padding: 10px 14px; border-radius: 8px; border: 0; background: var(--accent);
  color: var(--accent-fg); margin: 8px 0; max-width: 100%; }
button.secondary { background: transparent; color: var(--accent); border: 1px solid var(--accent); }
.notice { padding: 10px 12px; border-radius: 8px; margin: 10px 0; background: var(--card); }
.notice.ok { border-left: 4px solid #2e9d4f; }
.notice.refused { border-left: 4px solid #d33; }
.muted, small { color: var(--muted); }
[hidden] { display: none !important; }
nav { display: flex; flex-wrap: wrap; gap: 8px 14px; margin: 0 0 8px; }
`;
