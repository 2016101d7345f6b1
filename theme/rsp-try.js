// A chapter's "Try it" (crates/supervisor/src/try_it.rs): the edited
// program's output comes collapsed, carrying the edits that made it. This
// script says the summary in the page's language and, when the local
// runner serves the page (its editors exist), adds a button that makes
// the edits in the block's editor, where the reader runs them.
(function () {
    'use strict';

    // The editor whose text holds `find` exactly once, and where.
    function locate(find) {
        var editors = window.editors || [];
        for (var i = 0; i < editors.length; i++) {
            var text = editors[i].getValue();
            var at = text.indexOf(find);
            if (at >= 0 && text.indexOf(find, at + 1) < 0) {
                return { editor: editors[i], at: at };
            }
        }
        return null;
    }

    // Makes each edit in its editor; the last editor edited, or null when
    // an edit's text is not (or not once) in any editor.
    function apply(edits) {
        var Range = window.ace.require('ace/range').Range;
        var last = null;
        for (var i = 0; i < edits.length; i++) {
            var found = locate(edits[i].find);
            if (!found) { return null; }
            var doc = found.editor.session.getDocument();
            var a = doc.indexToPosition(found.at, 0);
            var b = doc.indexToPosition(found.at + edits[i].find.length, 0);
            found.editor.session.replace(new Range(a.row, a.column, b.row, b.column), edits[i].replace);
            last = found.editor;
        }
        return last;
    }

    function start() {
        var served = !!document.querySelector('meta[name="rsp-runner-token"]');
        document.querySelectorAll('details.rsp-try').forEach(function (details) {
            var summary = details.querySelector('summary');
            if (summary) { summary.textContent = window.rspT('try.summary'); }
            if (!served || !window.ace) { return; }
            var edits;
            try { edits = JSON.parse(details.getAttribute('data-edits') || '[]'); } catch { return; }
            var button = document.createElement('button');
            button.type = 'button';
            button.className = 'rsp-try-button';
            button.textContent = window.rspT('try.button');
            button.addEventListener('click', function () {
                var editor = apply(edits);
                if (!editor) {
                    button.textContent = window.rspT('try.not-found');
                    button.disabled = true;
                    return;
                }
                editor.container.scrollIntoView({ block: 'center' });
                editor.focus();
            });
            details.parentNode.insertBefore(button, details);
        });
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', start);
    } else {
        start();
    }
})();
