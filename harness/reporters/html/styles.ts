/**
 * The report's CSS (inline: the file works offline). Verdict colours: fail/error red, flaky
 * amber, pass green, xfail violet with a dashed outline (an expected failure is not a pass),
 * skip grey. Plot colours follow the same scheme.
 */
export const CSS = `
:root{--fail:#b91c1c;--fail-bg:#fee2e2;--error:#7f1d1d;--pass:#15803d;--pass-bg:#dcfce7;--xfail:#6d28d9;--xfail-bg:#ede9fe;--flaky:#b45309;--flaky-bg:#fef3c7;--skip:#6b7280;--skip-bg:#f3f4f6}
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;padding:1em 2em;max-width:78em;color:#111}
h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.05em;margin:0;display:inline}
small,.muted{color:#555;font-weight:normal}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
.scroll{overflow-x:auto;max-width:100%}
.badge{display:inline-block;min-width:3.6em;text-align:center;border-radius:3px;padding:0 .3em;font-weight:bold;font-size:.85em;text-transform:uppercase}
.v-fail .badge,.badge.v-fail{background:var(--fail);color:#fff}.v-error .badge,.badge.v-error{background:var(--error);color:#fff}
.v-pass .badge,.badge.v-pass{background:var(--pass-bg);color:var(--pass)}.v-flaky .badge,.badge.v-flaky{background:var(--flaky-bg);color:var(--flaky)}
.v-xfail .badge,.badge.v-xfail{background:var(--xfail-bg);color:var(--xfail);outline:1px dashed var(--xfail)}.v-skip .badge,.badge.v-skip{background:var(--skip-bg);color:var(--skip)}
.banner{border:2px solid var(--fail);background:var(--fail-bg);border-radius:6px;padding:.5em 1em;margin:.6em 0}
.banner.ok{border-color:var(--pass);background:var(--pass-bg)}
.banner h2{display:block;color:var(--fail);margin-bottom:.3em}.banner.ok h2{color:var(--pass)}
.banner ol{margin:0;padding-left:1.4em}.banner li{margin:.15em 0}.banner a{color:#111}.banner details.more>summary{font-weight:bold}
.not-run{border:1px solid var(--skip);background:var(--skip-bg);border-radius:6px;padding:.3em 1em;margin:.6em 0}.not-run ul{margin:.2em 0}
.toolbar{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ddd;z-index:2;display:flex;gap:1em;flex-wrap:wrap;align-items:center}
.toolbar label{cursor:pointer;white-space:nowrap}.toolbar input[type=search]{min-width:18em;padding:2px 6px}
ul.checks>li,section.scenario,#failures{scroll-margin-top:calc(var(--bar,3em) + .5em)}
section.scenario{border:1px solid #ddd;border-left:6px solid var(--skip);border-radius:4px;margin:.6em 0;padding:.2em .8em}
section.scenario.v-fail{border-left-color:var(--fail)}section.scenario.v-error{border-left-color:var(--error)}section.scenario.v-pass{border-left-color:var(--pass)}
section.scenario.v-xfail{border-left-color:var(--xfail);border-left-style:dashed}section.scenario.v-flaky{border-left-color:var(--flaky)}
summary{cursor:pointer;padding:.3em 0}
.meta{margin:.2em 0 .4em;display:flex;gap:1em;flex-wrap:wrap;align-items:center}
code.cmd{background:#f3f4f6;padding:1px 4px;border-radius:3px}button.copy{font-size:.8em}
ul.checks{list-style:none;padding:0;margin:0}ul.checks>li{margin:.4em 0;padding:.3em .5em;border-radius:4px}
ul.checks>li.v-fail,ul.checks>li.v-error{background:#fff5f5}ul.checks>li:target,ul.checks>li.target{outline:2px solid #2563eb}
.reason{margin-left:.3em}.captures{margin:.2em 0 0 4.2em}
.matrix td{text-align:center;min-width:2.5em}.matrix td.ctx{background:none}.matrix td.ok{background:var(--pass-bg)}.matrix td.bad{background:#fca5a5;font-weight:bold}.matrix td.na{color:#999}
.legend{font-size:.9em;color:#444}.legend i{display:inline-block;width:.9em;height:.9em;vertical-align:middle;margin:0 .25em 0 .6em;border:1px solid #999}
figure{margin:.6em 0;max-width:100%}figure[data-clock=scenario] .clock-night,figure[data-clock=night] .clock-scenario{display:none}label.clock{font-size:.9em}figcaption{font-weight:bold;margin-bottom:.2em}svg.plot{background:#fff;border:1px solid #e5e7eb;max-width:100%;height:auto}
svg.plot text{font:11px system-ui,sans-serif;fill:#333}
.hidden{display:none!important}
code.cmd,h2,.reason{overflow-wrap:anywhere}
@media (max-width:600px){body{padding:.5em .6em}.toolbar{flex-wrap:nowrap;overflow-x:auto;gap:.6em}.toolbar input[type=search]{min-width:7em;flex:1 0 7em}.badge{min-width:0}.captures{margin-left:0}}
pre{white-space:pre-wrap;background:#f9fafb;padding:.4em;max-height:30em;overflow:auto}
`;
