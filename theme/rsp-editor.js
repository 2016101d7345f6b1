// One runnable block as an Ace editor (mdBook's own Ace, from
// `[output.html.playground] editable = true`; Python's mode vendored in
// theme/ace/). The editor shows only the lines the page shows: mdBook's
// hidden lines (`# ` lines, the rest of a `{{#rustdoc_include}}` file) are
// kept aside, each run of them pinned to the visible line after it with an
// Ace anchor that moves with the reader's edits, and put back to make the
// whole program. `lineMap` says, for each line of that program, which
// editor row it is, so rustc's line numbers land on the line the reader
// sees.
(function () {
    'use strict';

    // The code block's lines, each {text, hidden}, from the highlighted
    // DOM: a line is hidden when mdBook wrapped it in span.boring.
    function readLines(code) {
        var lines = [];
        var cur = { text: '', hidden: true, any: false };
        var walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
        for (var n = walker.nextNode(); n; n = walker.nextNode()) {
            var boring = !!(n.parentElement && n.parentElement.closest('.boring'));
            var parts = n.data.split('\n');
            for (var i = 0; i < parts.length; i++) {
                if (i > 0) {
                    lines.push({ text: cur.text, hidden: cur.hidden });
                    cur = { text: '', hidden: true, any: false };
                }
                if (parts[i].length || i < parts.length - 1) {
                    cur.text += parts[i];
                    cur.hidden = cur.hidden && boring;
                    cur.any = true;
                }
            }
        }
        if (cur.any && cur.text.length) { lines.push({ text: cur.text, hidden: cur.hidden }); }
        return lines;
    }

    // Visible text, and the hidden runs: {before: visible row or -1 (at the
    // end), lines: [...]}.
    function split(lines) {
        var visible = [];
        var runs = [];
        var run = null;
        lines.forEach(function (l) {
            if (l.hidden) {
                if (!run) { run = { before: -1, lines: [] }; runs.push(run); }
                run.lines.push(l.text);
            } else {
                if (run) { run.before = visible.length; run = null; }
                visible.push(l.text);
            }
        });
        return { visible: visible.join('\n'), runs: runs };
    }

    // Hidden runs as stored ({before, lines: [string]}), or null.
    function validRuns(r) {
        if (!Array.isArray(r)) { return null; }
        var ok = r.every(function (x) {
            return x && typeof x.before === 'number' && Array.isArray(x.lines) &&
                x.lines.every(function (l) { return typeof l === 'string'; });
        });
        return ok ? r : null;
    }

    function aceTheme() {
        var c = document.documentElement.classList;
        return (c.contains('coal') || c.contains('navy') || c.contains('ayu'))
            ? 'ace/theme/tomorrow_night' : 'ace/theme/dawn';
    }

    // Makes `code` (inside its <pre>) an editor. `opts`: {lang, chapter,
    // block, onRun}. Returns the block's controller.
    function create(code, opts) {
        var pre = code.parentNode;
        var lines = readLines(code);
        var parts = split(lines);
        var original = parts.visible;
        var full = lines.map(function (l) { return l.text; }).join('\n');
        var source = window.rspEdits.hash(full);

        var host = document.createElement('code');
        // `editable`: mdBook's copy button then copies the editor's text.
        host.className = 'editable rsp-ace';
        host.setAttribute('data-lang', opts.lang);
        pre.replaceChild(host, code);
        pre.classList.add('rsp-editable');
        var editor = window.ace.edit(host);
        editor.$blockScrolling = Infinity;
        editor.setOptions({
            maxLines: Infinity,
            minLines: 1,
            showPrintMargin: false,
            highlightActiveLine: false,
            highlightGutterLine: false,
            showLineNumbers: true,
            showGutter: true,
            fontSize: '0.875em',
            useSoftTabs: true,
            tabSize: 4,
            wrap: false
        });
        var session = editor.getSession();
        session.setMode(opts.lang === 'python' ? 'ace/mode/python' : 'ace/mode/rust');
        editor.setTheme(aceTheme());
        editor.textInput.getElement().setAttribute('aria-label',
            opts.lang === 'python' ? rspT('edit.code-label-python') : rspT('run.code-label'));
        // book.js sets every editor's theme when the reader changes it.
        window.editors = window.editors || [];
        window.editors.push(editor);
        editor.commands.addCommand({
            name: 'rspRun',
            bindKey: { win: 'Ctrl-Enter', mac: 'Command-Enter|Ctrl-Enter' },
            exec: function () { opts.onRun(); }
        });
        // Keys typed in the editor are the editor's: not book.js's chapter
        // navigation (arrows) nor the search's hot key.
        host.addEventListener('keydown', function (e) { e.stopPropagation(); });

        // The hidden runs now in use: the book's, or those a stored edit
        // of an older version of the block was made with.
        var runs = parts.runs;
        var anchors = [];
        function setText(text, rows, withRuns) {
            anchors.forEach(function (a) { if (a) { a.detach(); } });
            runs = withRuns || parts.runs;
            session.setValue(text);
            anchors = runs.map(function (r, i) {
                var row = rows && typeof rows[i] === 'number' ? rows[i] : r.before;
                if (row < 0) { return null; }
                return session.getDocument().createAnchor(row, 0);
            });
            numbers = null;
            editor.renderer.updateFull();
        }

        // The whole program, and for each of its lines the editor row (or,
        // for a hidden line, -1 - the row it sits before, or after when it
        // is at the end). A Rust block without `fn main` is run inside one,
        // as rustdoc and mdBook do.
        function assemble() {
            var vis = session.getDocument().getAllLines();
            var at = {};
            var end = [];
            runs.forEach(function (r, i) {
                var a = anchors[i];
                if (!a) { end.push(r); return; }
                var row = Math.min(a.row, vis.length);
                (at[row] = at[row] || []).push(r);
            });
            var out = [];
            var map = [];
            function hidden(r, before) {
                r.lines.forEach(function (l) { out.push(l); map.push(-1 - before); });
            }
            var last = Math.max(0, vis.length - 1);
            for (var row = 0; row <= vis.length; row++) {
                (at[row] || []).forEach(function (r) { hidden(r, Math.min(row, last)); });
                if (row < vis.length) { out.push(vis[row]); map.push(row); }
            }
            end.forEach(function (r) { hidden(r, last); });
            if (opts.lang === 'rust' && !/fn\s+main\s*\(/.test(out.join('\n'))) {
                out = ['fn main() {'].concat(out, ['}']);
                map = [-1].concat(map, [-1 - last]);
            }
            return { code: out.join('\n') + '\n', map: map };
        }

        // The gutter numbers each row with its line in the whole program:
        // the numbers rustc's messages and tracebacks use, with a gap where
        // hidden lines are.
        var numbers = null;
        function programLines() {
            if (!numbers) {
                numbers = [];
                assemble().map.forEach(function (row, i) {
                    if (row >= 0) { numbers[row] = i + 1; }
                });
            }
            return numbers;
        }
        session.gutterRenderer = {
            getWidth: function (s, lastLineNumber, config) {
                var n = programLines();
                return String(n.length ? n[n.length - 1] : lastLineNumber).length * config.characterWidth;
            },
            getText: function (s, row) {
                var n = programLines()[row];
                return n === undefined ? '' : String(n);
            }
        };

        function anchorRows() {
            return anchors.map(function (a) { return a ? a.row : -1; });
        }

        // Edited marks, the stored edit, and the notice for an edit of an
        // older version of the block.
        var badge = document.createElement('span');
        badge.className = 'rsp-edited-badge';
        badge.textContent = rspT('edit.edited');
        badge.title = rspT('edit.edited-title');
        pre.insertBefore(badge, pre.firstChild);
        function edited() { return editor.getValue() !== original || runs !== parts.runs; }
        function mark() { pre.classList.toggle('rsp-edited', edited()); }
        var saving = null;
        function persist() {
            clearTimeout(saving);
            saving = setTimeout(save, 250);
        }
        // Not left waiting when the page goes (a reload, a link).
        window.addEventListener('pagehide', function () {
            if (saving !== null) { clearTimeout(saving); save(); }
        });
        function save() {
            saving = null;
            if (edited()) {
                // The hidden lines too: an edit made on an older book
                // comes back whole, never mixed with the new lines.
                window.rspEdits.save(opts.chapter, opts.block, {
                    text: editor.getValue(), anchors: anchorRows(), source: source,
                    runs: runs, at: Date.now()
                });
            } else {
                window.rspEdits.clear(opts.chapter, opts.block);
            }
        }

        var notice = null;
        function dropNotice() { if (notice) { notice.remove(); notice = null; } }
        setText(original);
        var stored = window.rspEdits.load(opts.chapter, opts.block);
        if (stored && stored.source === source) {
            // Its own hidden lines when the reader kept an edit of an
            // older book (below); else the book's.
            var own = validRuns(stored.runs);
            setText(stored.text, stored.anchors,
                own && JSON.stringify(own) !== JSON.stringify(parts.runs) ? own : null);
        } else if (stored) {
            notice = document.createElement('div');
            notice.className = 'rsp-notice';
            var p = document.createElement('p');
            p.textContent = rspT('edit.changed');
            notice.appendChild(p);
            var mine = document.createElement('button');
            mine.className = 'rsp-notice-mine';
            mine.textContent = rspT('edit.use-mine');
            mine.addEventListener('click', function () {
                // As it was: the old hidden lines where they were, and
                // from now on kept as an edit of the new source.
                var old = validRuns(stored.runs);
                setText(stored.text, old ? stored.anchors : null, old);
                dropNotice();
                mark();
                persist();
            });
            var theirs = document.createElement('button');
            theirs.className = 'rsp-notice-book';
            theirs.textContent = rspT('edit.use-book');
            theirs.addEventListener('click', function () {
                window.rspEdits.clear(opts.chapter, opts.block);
                dropNotice();
                mark();
            });
            notice.appendChild(mine);
            notice.appendChild(theirs);
            pre.parentNode.insertBefore(notice, pre);
        }
        editor.clearSelection();
        session.getUndoManager().reset();
        mark();
        session.on('change', function () {
            numbers = null;
            mark();
            persist();
            if (opts.onChange) { opts.onChange(); }
        });

        // Diagnostics: a gutter marker, the span underlined, and the
        // message in a line widget under the line.
        var marks = [];
        var Range = window.ace.require('ace/range').Range;
        var LineWidgets = window.ace.require('ace/line_widgets').LineWidgets;
        function clearMarks() {
            session.clearAnnotations();
            marks.forEach(function (m) {
                if (m.marker !== undefined) { session.removeMarker(m.marker); }
                if (m.widget && session.widgetManager) { session.widgetManager.removeLineWidget(m.widget); }
            });
            marks = [];
        }
        // items: [{row, column, endRow, endColumn, level, text}] in editor rows.
        function showMarks(items) {
            clearMarks();
            if (!session.widgetManager) {
                session.widgetManager = new LineWidgets(session);
                session.widgetManager.attach(editor);
            }
            session.setAnnotations(items.map(function (d) {
                return { row: d.row, column: d.column, text: d.text, type: d.level === 'error' ? 'error' : 'warning' };
            }));
            items.forEach(function (d) {
                var m = {};
                if (d.endRow !== undefined) {
                    m.marker = session.addMarker(new Range(d.row, d.column, d.endRow, d.endColumn),
                        'rsp-diag-range rsp-diag-' + d.level, 'text');
                }
                var el = document.createElement('div');
                el.className = 'rsp-diag rsp-diag-' + d.level;
                el.textContent = d.text;
                m.widget = { row: d.row, fixedWidth: true, coverGutter: false, el: el };
                session.widgetManager.addLineWidget(m.widget);
                marks.push(m);
            });
        }

        return {
            pre: pre,
            editor: editor,
            lang: opts.lang,
            assemble: assemble,
            edited: edited,
            showMarks: showMarks,
            clearMarks: clearMarks,
            reset: function () {
                dropNotice();
                clearMarks();
                setText(original);
                editor.clearSelection();
                window.rspEdits.clear(opts.chapter, opts.block);
                mark();
            }
        };
    }

    window.rspEditor = { create: create, readLines: readLines, split: split };
})();
