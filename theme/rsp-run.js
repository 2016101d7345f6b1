// Edit-and-run on this machine. When the page comes from `cargo xtask
// serve`, the local runner (crates/runner) has put a per-start token in a
// <meta> tag; then every Rust block of a chapter, and every Python block
// whose output block names its program, becomes an editor (rsp-editor.js)
// with Run, Run with trace, Reset and Download buttons. Run sends the whole
// program (hidden lines included) to the runner, which compiles and runs it
// in a sandbox here and streams the events back (crates/runner/src/wire.rs);
// Run with trace runs it there under strace, and the trace and its
// timeline come back before its exit (supervisor::strace::page). Without
// the token (the book hosted as static files, or plain `mdbook serve`)
// nothing is sent anywhere: no editor, and each output block says how to
// run it locally. book.toml keeps `runnable = false`, so mdBook's own Run
// button, which posts to play.rust-lang.org, never appears.
(function () {
    'use strict';
    // rspT(key, args) (theme/lang.js) fills `{name}` in; the runner's own
    // messages (sent in English) go through rspRunnerText.
    function runnerText(text) {
        return window.rspRunnerText ? window.rspRunnerText(text) : text;
    }
    var meta = document.querySelector('meta[name="rsp-runner-token"]');
    var token = meta ? meta.getAttribute('content') : '';
    var slugsMeta = document.querySelector('meta[name="rsp-runner-slugs"]');
    var slugs = slugsMeta ? slugsMeta.getAttribute('content').split(/\s+/).filter(Boolean) : [];
    document.documentElement.classList.add(token ? 'rsp-local' : 'rsp-static');

    function el(tag, cls, text) {
        var e = document.createElement(tag);
        if (cls) { e.className = cls; }
        if (text) { e.textContent = text; }
        return e;
    }

    // The page's chapter as its source path, the same in every edition
    // (mdBook's path_to_root leads to the edition's own root):
    // zh-TW/processes/zombie.html -> processes/zombie.md.
    function chapterPath() {
        // mdBook declares it with `const`: a global, not a window property.
        var up = typeof path_to_root === 'string' ? path_to_root : '';
        var root = new URL(up, window.location.href).pathname;
        var rel = decodeURIComponent(window.location.pathname.slice(root.length));
        return rel.replace(/\.html?$/, '.md');
    }

    function pageSlug() {
        var last = window.location.pathname.split('/').pop() || '';
        return decodeURIComponent(last.replace(/\.html?$/, ''));
    }

    function staticMode() {
        Array.prototype.forEach.call(document.querySelectorAll('#content .rsp-run'), function (block) {
            var p = el('p', 'rsp-local-hint');
            var hint = rspT('hint.static').split('{cmd}');
            p.appendChild(document.createTextNode(hint[0]));
            p.appendChild(el('code', '', 'cargo xtask serve'));
            p.appendChild(document.createTextNode(hint.slice(1).join('{cmd}')));
            block.parentNode.insertBefore(p, block.nextSibling);
        });
    }

    var pageId = (function () {
        var a = new Uint8Array(12);
        window.crypto.getRandomValues(a);
        return Array.prototype.map.call(a, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
    })();
    var busy = false;
    var runButtons = [];
    function setBusy(on) {
        busy = on;
        runButtons.forEach(function (b) { b.disabled = on; });
    }

    function resultFor(block) {
        if (block.result) { return block.result; }
        var box = el('div', 'rsp-result');
        box.setAttribute('aria-live', 'polite');
        box.appendChild(el('div', 'rsp-result-status'));
        box.appendChild(el('ul', 'rsp-result-diags'));
        box.appendChild(el('pre', 'rsp-result-compile'));
        box.appendChild(el('pre', 'rsp-result-out'));
        box.appendChild(el('div', 'rsp-trace'));
        box.appendChild(el('div', 'rsp-compare'));
        block.pre.parentNode.insertBefore(box, block.pre.nextSibling);
        block.result = box;
        return box;
    }

    function secs(ms) { return (ms / 1000).toFixed(2) + ' s'; }

    // rustc's diagnostics, from lines of the whole program to editor rows.
    function rustMarks(diags, map) {
        return diags.filter(function (d) { return d.level === 'error' || d.level === 'warning'; }).map(function (d) {
            var m = map[d.line - 1];
            var hidden = m === undefined || m < 0;
            var row = hidden ? (m === undefined ? 0 : Math.max(0, -1 - m)) : m;
            var text = d.level + (d.code ? '[' + d.code + ']' : '') + ': ' + d.message +
                (d.label ? ' \u2014 ' + d.label : '');
            if (hidden) { text += ' ' + rspT('diag.hidden'); }
            var mark = { row: row, line: d.line, column: hidden ? 0 : d.column - 1, level: d.level, text: text };
            var endRow = map[d.end_line - 1];
            if (!hidden && endRow !== undefined && endRow >= 0) {
                mark.endRow = endRow;
                mark.endColumn = d.end_column - 1;
            }
            return mark;
        });
    }

    // A Python traceback's last frame in the program: that line is marked.
    function pythonMarks(output, file, map) {
        var re = /File "([^"]+)", line (\d+)/g;
        var m;
        var last = null;
        while ((m = re.exec(output)) !== null) {
            if (m[1] === file || m[1].slice(-file.length - 1) === '/' + file) { last = Number(m[2]); }
        }
        if (last === null) { return []; }
        var lines = output.trim().split('\n');
        var row = map[last - 1];
        row = row === undefined ? 0 : row < 0 ? -1 - row : row;
        return [{ row: row, line: last, column: 0, level: 'error', text: lines[lines.length - 1] }];
    }

    function diagList(box, marks) {
        var ul = box.querySelector('.rsp-result-diags');
        ul.textContent = '';
        marks.forEach(function (d) {
            var li = el('li', 'rsp-diag-' + d.level);
            // The program's line: the gutter's number, and rustc's.
            var b = el('button', 'rsp-diag-goto', rspT('diag.line', { n: d.line }));
            b.addEventListener('click', d.go);
            li.appendChild(b);
            li.appendChild(document.createTextNode(' ' + d.text));
            ul.appendChild(li);
        });
    }

    // A stamp (`Linux 6.18 · Debian 12 · rustc 1.95.0 · ...`) with the
    // parts the other stamp has not marked: where the two machines differ.
    function stamp(mine, other) {
        var dd = el('dd');
        if (!mine) { dd.textContent = '?'; return dd; }
        var theirs = (other || '').split(' \u00b7 ');
        mine.split(' \u00b7 ').forEach(function (part, i) {
            if (i) { dd.appendChild(document.createTextNode(' \u00b7 ')); }
            if (theirs.indexOf(part) < 0) {
                dd.appendChild(el('mark', 'rsp-stamp-differs', part));
            } else {
                dd.appendChild(document.createTextNode(part));
            }
        });
        return dd;
    }

    // The masked line diff of the book's text and the reader's.
    function diff(div, lines, vary) {
        var pre = el('pre', 'rsp-diff');
        lines.forEach(function (l) {
            var sign = l.tag === 'book' ? '- ' : l.tag === 'yours' ? '+ ' : '  ';
            var line = el('span', 'rsp-diff-' + l.tag, sign + l.text);
            line.title = l.tag === 'book' ? rspT('compare.only-book') : l.tag === 'yours' ? rspT('compare.only-yours') : '';
            pre.appendChild(line);
            pre.appendChild(document.createTextNode('\n'));
        });
        div.appendChild(el('p', 'rsp-compare-legend', rspT('compare.legend')));
        div.appendChild(pre);
        if (vary.length) {
            div.appendChild(el('p', 'rsp-compare-vary', rspT('compare.vary', { n: vary.length })));
        }
    }

    function comparison(box, c) {
        var div = box.querySelector('.rsp-compare');
        div.textContent = '';
        var state = c.note && !c.directive ? 'none' : (c.matches ? 'match' : 'differs');
        div.setAttribute('data-state', state);
        var head = el('p', 'rsp-compare-head', state === 'match' ? rspT('compare.match')
            : state === 'differs' ? rspT('compare.differs') : rspT('compare.none'));
        div.appendChild(head);
        if (c.note) { div.appendChild(el('p', 'rsp-compare-note', runnerText(c.note))); }
        if (state === 'differs') {
            if (c.book_status !== c.your_status) {
                div.appendChild(el('p', 'rsp-compare-status',
                    rspT('compare.status', { book: c.book_status, yours: c.your_status })));
            }
            diff(div, c.diff, c.vary);
        }
        if (c.book_stamp || c.your_stamp) {
            var dl = el('dl', 'rsp-compare-stamps');
            dl.appendChild(el('dt', '', rspT('compare.book-stamp')));
            dl.appendChild(stamp(c.book_stamp, c.your_stamp));
            dl.appendChild(el('dt', '', rspT('compare.your-stamp')));
            dl.appendChild(stamp(c.your_stamp, c.book_stamp));
            div.appendChild(dl);
        }
    }

    // A run under strace (the `trace` event): the calls traced, the trace
    // as the book shows one (as text), its timeline (the runner's figure:
    // supervisor::picture, every word of the trace escaped there; its own
    // words translated by lang.js), and the book's trace beside it.
    function traceResult(box, t) {
        var div = box.querySelector('.rsp-trace');
        div.textContent = '';
        var cmd = 'strace -f' + t.exprs.map(function (e) { return ' -e ' + e; }).join('');
        div.appendChild(el('p', 'rsp-trace-head', rspT(t.directive ? 'trace.chapter' : 'trace.default', { cmd: cmd })));
        if (t.grep) { div.appendChild(el('p', 'rsp-trace-grep', rspT('trace.grep', { regex: t.grep }))); }
        div.appendChild(el('pre', 'rsp-trace-text', t.text || rspT('trace.empty')));
        if (t.html) {
            var pic = el('div', 'rsp-trace-pic');
            pic.innerHTML = t.html;
            if (window.rspPictures) { window.rspPictures(pic); }
            div.appendChild(pic);
        }
        var cmp = el('div', 'rsp-compare');
        cmp.setAttribute('data-state', t.compared);
        var said = {
            match: rspT('trace.match'), differs: rspT('trace.differs'),
            edited: rspT('trace.edited'), none: rspT('trace.none')
        };
        cmp.appendChild(el('p', 'rsp-compare-head', said[t.compared] || said.none));
        if (t.compared === 'differs') { diff(cmp, t.diff, t.vary); }
        div.appendChild(cmp);
    }

    function run(block, traced) {
        if (busy) { return; }
        var whole = block.editor.assemble();
        var text = whole.code;
        var box = resultFor(block);
        var status = box.querySelector('.rsp-result-status');
        var compile = box.querySelector('.rsp-result-compile');
        var out = box.querySelector('.rsp-result-out');
        var compiledMs = null;
        var printed = '';
        compile.textContent = '';
        out.textContent = '';
        box.querySelector('.rsp-result-diags').textContent = '';
        box.querySelector('.rsp-trace').textContent = '';
        box.querySelector('.rsp-compare').textContent = '';
        box.querySelector('.rsp-compare').removeAttribute('data-state');
        // Set when the answer has ended (after the comparison, if any).
        box.removeAttribute('data-done');
        block.editor.clearMarks();
        function state(s, msg) {
            box.setAttribute('data-state', s);
            status.textContent = msg;
        }
        function marks(items) {
            items.forEach(function (d) {
                d.go = function () {
                    block.editor.editor.focus();
                    block.editor.editor.gotoLine(d.row + 1, d.column, true);
                };
            });
            block.editor.showMarks(items);
            diagList(box, items);
        }
        function handle(ev) {
            switch (ev.event) {
            case 'queued':
                state('running', rspT('run.queued', { n: ev.ahead }));
                break;
            case 'preparing':
                state('running', rspT('run.preparing', { message: runnerText(ev.message) }));
                break;
            case 'compiling':
                state('running', rspT('run.compiling'));
                break;
            case 'compiled':
                compiledMs = ev.ms;
                window.rspAnsi.render(ev.ansi || ev.output, compile);
                marks(rustMarks(ev.diagnostics || [], whole.map));
                if (ev.ok) {
                    state('running', rspT('run.compiled', { time: secs(ev.ms) }));
                } else {
                    state('compile-error', rspT('run.compile-error'));
                }
                break;
            case 'output':
                printed += ev.text;
                out.appendChild(document.createTextNode(ev.text));
                break;
            case 'exit':
                if (ev.dropped > 0) {
                    out.appendChild(document.createTextNode('\n' + rspT('run.dropped', { n: ev.dropped })));
                }
                var msg = runnerText(ev.status) + ' \u00b7 ' + rspT('run.ran', { time: secs(ev.ms) });
                if (compiledMs !== null) {
                    msg += ' \u00b7 ' + rspT('run.compiled-in', { time: secs(compiledMs) });
                }
                if (ev.killed.length) { msg += ' \u00b7 ' + rspT('run.killed', { n: ev.killed.length }); }
                msg += ' \u00b7 ' + rspT('run.here');
                state(ev.code === 0 && !ev.killed.length ? 'ok' : 'failed', msg);
                if (block.lang === 'python' && ev.code !== 0) { marks(pythonMarks(printed, block.file, whole.map)); }
                break;
            case 'compare':
                comparison(box, ev);
                break;
            case 'trace':
                traceResult(box, ev);
                break;
            case 'error':
                state('error', runnerText(ev.message));
                break;
            }
        }
        var body = { slug: block.slug, code: text, edition: block.edition, page: pageId, chapter: block.chapter, trace: !!traced };
        if (block.lang === 'python') {
            body.lang = 'python';
            body.file = block.name;
        }
        setBusy(true);
        state('running', rspT('run.sending'));
        fetch('/__rsp/run', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-RSP-Token': token },
            body: JSON.stringify(body),
            cache: 'no-store',
            credentials: 'same-origin'
        }).then(function (response) {
            if (!response.ok) {
                return response.json().then(function (j) {
                    state('error', j.error ? runnerText(j.error) : rspT('run.answered', { status: response.status }));
                }, function () {
                    state('error', rspT('run.answered', { status: response.status }));
                });
            }
            var reader = response.body.getReader();
            var decoder = new TextDecoder();
            var pending = '';
            function pump() {
                return reader.read().then(function (r) {
                    pending += decoder.decode(r.value || new Uint8Array(0), { stream: !r.done });
                    var lines = pending.split('\n');
                    pending = lines.pop();
                    lines.forEach(function (line) {
                        if (line.trim()) { handle(JSON.parse(line)); }
                    });
                    if (!r.done) { return pump(); }
                    if (box.getAttribute('data-state') === 'running') {
                        state('error', rspT('run.no-result'));
                    }
                });
            }
            return pump();
        }).catch(function (e) {
            state('error', rspT('run.no-answer', { cmd: '`cargo xtask serve`', error: e.message }));
        }).then(function () {
            box.setAttribute('data-done', '');
            setBusy(false);
        });
    }

    // "Download as a Cargo project": the runner builds the archive.
    function download(block) {
        var whole = block.editor.assemble();
        var body = { slug: block.slug, code: whole.code, edition: block.edition };
        if (block.lang === 'python') {
            body.lang = 'python';
            body.file = block.name;
        }
        fetch('/__rsp/project', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-RSP-Token': token },
            body: JSON.stringify(body),
            cache: 'no-store',
            credentials: 'same-origin'
        }).then(function (r) {
            if (!r.ok) {
                return r.json().then(function (j) {
                    throw new Error(j.error ? runnerText(j.error) : rspT('run.answered', { status: r.status }));
                });
            }
            return r.blob().then(function (b) {
                var a = el('a');
                a.href = URL.createObjectURL(b);
                a.download = (block.lang === 'python' ? block.name : block.slug) + '.tar.gz';
                document.body.appendChild(a);
                a.click();
                setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
            });
        }).catch(function (e) {
            var box = resultFor(block);
            box.setAttribute('data-state', 'error');
            box.querySelector('.rsp-result-status').textContent = rspT('download.failed') + ' ' + e.message;
        });
    }

    function button(icon, cls, title, onClick) {
        var b = el('button', 'fa ' + icon + ' ' + cls);
        b.title = title;
        b.setAttribute('aria-label', title);
        b.addEventListener('click', onClick);
        return b;
    }

    function attach(code, lang, index, info) {
        var pre = code.parentNode;
        var edition = '2021';
        code.classList.forEach(function (c) {
            if (/^edition20\d\d$/.test(c)) { edition = c.slice(7); }
        });
        var block = {
            slug: info.slug, lang: lang, name: info.name, file: info.file,
            chapter: info.chapter, edition: edition, pre: pre, result: null
        };
        block.editor = window.rspEditor.create(code, {
            lang: lang,
            chapter: info.chapter,
            block: lang + '-' + index,
            onRun: function () { run(block); }
        });
        var buttons = pre.querySelector('.buttons');
        if (!buttons) {
            buttons = el('div', 'buttons');
            pre.insertBefore(buttons, pre.firstChild);
        }
        // The eye button shows lines the editor never hides; it has no use here.
        Array.prototype.forEach.call(buttons.querySelectorAll('.fa-eye, .fa-eye-slash'), function (b) { b.remove(); });
        buttons.insertBefore(button('fa-download', 'rsp-download-button', lang === 'python' ? rspT('download.python') : rspT('download.rust'),
            function () { download(block); }), buttons.firstChild);
        buttons.insertBefore(button('fa-history', 'rsp-reset-button', rspT('run.undo'),
            function () { block.editor.reset(); }), buttons.firstChild);
        var trace = button('fa-tasks', 'rsp-trace-button', rspT('run.trace'), function () { run(block, true); });
        buttons.insertBefore(trace, buttons.firstChild);
        var play = button('fa-play', 'rsp-run-button', rspT('run.button'), function () { run(block); });
        buttons.insertBefore(play, buttons.firstChild);
        runButtons.push(play, trace);
        return block;
    }

    // The Python program a block shows: the next output block's command.
    function pythonProgram(pre, slug) {
        for (var n = pre.nextElementSibling, i = 0; n && i < 3; n = n.nextElementSibling, i++) {
            var cmd = n.classList.contains('rsp-run') && n.querySelector('.rsp-run-cmd');
            if (!cmd) { continue; }
            var m = /python3 (snippets\/([a-z0-9-]+)\/python\/([a-z0-9_]+)\.py)/.exec(cmd.textContent);
            if (m && m[2] === slug) { return { file: m[1], name: m[3] }; }
            return null;
        }
        return null;
    }

    function liveReload() {
        if (!window.EventSource) { return; }
        // Only after the load event: a stream that never ends must not keep
        // the page "loading" (browsers, and WebDriver, wait for it).
        if (document.readyState !== 'complete') {
            window.addEventListener('load', function () { setTimeout(liveReload, 0); });
            return;
        }
        var source = new EventSource('/__rsp/events');
        source.addEventListener('reload', function () {
            // Edits are kept in the browser's storage: reloading loses none.
            if (!busy) {
                window.location.reload();
                return;
            }
            if (document.getElementById('rsp-reload-banner')) { return; }
            var b = el('div', '', rspT('reload.banner'));
            b.id = 'rsp-reload-banner';
            var go = el('button', '', rspT('reload.button'));
            go.addEventListener('click', function () { window.location.reload(); });
            b.appendChild(go);
            document.body.appendChild(b);
        });
    }

    function localMode() {
        liveReload();
        var slug = pageSlug();
        if (slugs.indexOf(slug) < 0 || !window.ace) { return; }
        var chapter = chapterPath();
        var counts = { rust: 0, python: 0 };
        var blocks = document.querySelectorAll('#content pre > code.language-rust, #content pre > code.language-python');
        Array.prototype.forEach.call(blocks, function (code) {
            if (code.classList.contains('ignore')) { return; }
            var lang = code.classList.contains('language-python') ? 'python' : 'rust';
            var info = { slug: slug, chapter: chapter };
            if (lang === 'python') {
                var prog = pythonProgram(code.parentNode, slug);
                if (!prog) { return; }
                info.file = prog.file;
                info.name = prog.name;
            }
            attach(code, lang, counts[lang]++, info);
        });
    }

    function start() {
        if (token) {
            localMode();
        } else {
            staticMode();
        }
    }
    // After book.js (it highlights and adds its buttons at the end of
    // <body>) and lang.js.
    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', start);
    } else {
        start();
    }
})();
