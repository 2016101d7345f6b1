// ANSI colours (SGR escapes, as rustc's --json=diagnostic-rendered-ansi
// writes them) to styled text in the page. Every piece of text becomes a
// text node (textContent), never HTML: nothing rustc or a program prints
// can add markup to the page. Other escape sequences are dropped.
(function () {
    'use strict';
    // 16 colours: 0-7 normal, 8-15 bright; the classes are in rsp-edit.css.
    function style(state) {
        var cls = [];
        if (state.bold) { cls.push('rsp-ansi-bold'); }
        if (state.underline) { cls.push('rsp-ansi-underline'); }
        if (state.fg !== null) { cls.push('rsp-ansi-fg' + state.fg); }
        return cls.join(' ');
    }

    function apply(state, params) {
        var codes = params === '' ? [0] : params.split(';').map(Number);
        for (var i = 0; i < codes.length; i++) {
            var c = codes[i];
            if (c === 0) { state.bold = false; state.underline = false; state.fg = null; }
            else if (c === 1) { state.bold = true; }
            else if (c === 4) { state.underline = true; }
            else if (c === 22) { state.bold = false; }
            else if (c === 24) { state.underline = false; }
            else if (c >= 30 && c <= 37) { state.fg = c - 30; }
            else if (c >= 90 && c <= 97) { state.fg = c - 90 + 8; }
            else if (c === 39) { state.fg = null; }
            else if (c === 38 && codes[i + 1] === 5) {
                // 256 colours: rustc uses 0-15 of them.
                var n = codes[i + 2];
                state.fg = (n >= 0 && n < 16) ? n : null;
                i += 2;
            } else if (c === 38 && codes[i + 1] === 2) {
                i += 4;
            }
        }
    }

    // Appends `text` to `parent` as spans and text nodes.
    function render(text, parent) {
        var state = { bold: false, underline: false, fg: null };
        // eslint-disable-next-line no-control-regex -- a terminal's escapes start with ESC
        var re = /\x1b\[([0-9;]*)([@-~])/g;
        var at = 0;
        var m;
        function put(s) {
            if (!s) { return; }
            var cls = style(state);
            if (!cls) {
                parent.appendChild(document.createTextNode(s));
                return;
            }
            var span = document.createElement('span');
            span.className = cls;
            span.textContent = s;
            parent.appendChild(span);
        }
        while ((m = re.exec(text)) !== null) {
            put(text.slice(at, m.index));
            if (m[2] === 'm') { apply(state, m[1]); }
            at = re.lastIndex;
        }
        // A lone ESC that starts no sequence is shown as nothing.
        // eslint-disable-next-line no-control-regex -- ESC itself
        put(text.slice(at).replace(/\x1b/g, ''));
    }

    window.rspAnsi = { render: render };
})();
