// Edits that survive navigation and reloads: the reader's text of a block
// in localStorage, under `rsp-edit/v1/<chapter>/<block>` (the chapter's
// source path, the same for every edition: both show the same code; the
// block: `rust-0`, `python-1`, its place among the page's runnable blocks),
// with a hash of the book's source it was edited from. A stored edit whose
// hash is not the current source's was made on an older book: the page
// says so and lets the reader choose (rsp-editor.js), never mixes them.
(function () {
    'use strict';
    var PREFIX = 'rsp-edit/v1/';

    // FNV-1a, 32 bits, over the UTF-16 code units: short, stable, enough to
    // tell two versions of a block apart.
    function hash(s) {
        var h = 0x811c9dc5;
        for (var i = 0; i < s.length; i++) {
            h ^= s.charCodeAt(i);
            h = Math.imul(h, 0x01000193) >>> 0;
        }
        return ('0000000' + h.toString(16)).slice(-8);
    }

    function storage() {
        try {
            return window.localStorage;
        } catch {
            return null; // storage turned off: edits last as long as the page
        }
    }

    function key(chapter, block) { return PREFIX + chapter + '/' + block; }

    // {text, anchors, source, at} or null.
    function load(chapter, block) {
        var s = storage();
        if (!s) { return null; }
        try {
            var v = JSON.parse(s.getItem(key(chapter, block)) || 'null');
            return v && typeof v.text === 'string' && typeof v.source === 'string' ? v : null;
        } catch {
            return null;
        }
    }

    function save(chapter, block, value) {
        var s = storage();
        if (!s) { return; }
        try {
            s.setItem(key(chapter, block), JSON.stringify(value));
        } catch {
            // Full: the edit still lives in the page.
        }
    }

    function clear(chapter, block) {
        var s = storage();
        if (s) { s.removeItem(key(chapter, block)); }
    }

    window.rspEdits = { hash: hash, load: load, save: save, clear: clear, key: key };
})();
