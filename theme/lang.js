// The language parts of every page (strings: theme/strings.js): a link to
// the same page in each other edition, and on a translated page, the
// labels that mdBook's menu bar, the output blocks and the page script
// carry in English. The output blocks' HTML is the same bytes in every
// edition (one build, one run); only their labels are swapped here.
(function () {
    'use strict';
    var all = window.rspStrings || {};
    var en = all.en || {};
    var lang = document.documentElement.getAttribute('lang') || 'en';
    var mine = all[lang] || en;

    // `{name}` in `text` replaced by args[name].
    function fill(text, args) {
        if (!args) { return text; }
        return text.replace(/\{([a-z-]+)\}/g, function (m, name) {
            return Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : m;
        });
    }

    // The text for this page's language; English when it has none.
    window.rspT = function (key, args) {
        return fill(mine[key] || en[key] || key, args);
    };

    // The runner's messages (the `runner.` entries), each as a pattern:
    // its English words, and `{name}` for any text it filled in.
    var patterns = Object.keys(en).filter(function (k) {
        return k.indexOf('runner.') === 0;
    }).map(function (key) {
        var names = [];
        var source = en[key].split(/\{([a-z-]+)\}/).map(function (part, i) {
            if (i % 2) {
                names.push(part);
                return '([\\s\\S]*?)';
            }
            return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        }).join('');
        return { key: key, names: names, re: new RegExp('^' + source + '$') };
    });

    function runnerMessage(text) {
        for (var i = 0; i < patterns.length; i++) {
            var m = patterns[i].re.exec(text);
            if (m) {
                var args = {};
                patterns[i].names.forEach(function (name, j) { args[name] = m[j + 1]; });
                return window.rspT(patterns[i].key, args);
            }
        }
        return null;
    }

    // A message from the runner (an error, a note on how a run ended) in
    // this page's language. Its parts joined by "; " (an exit status and
    // the notes after it) are looked up one by one; what has no entry (the
    // supervisor's "exit status 0", an OS error) stays as sent.
    window.rspRunnerText = function (text) {
        if (mine === en || typeof text !== 'string') { return text; }
        var whole = runnerMessage(text);
        if (whole !== null) { return whole; }
        return text.split('; ').map(function (part) {
            var t = runnerMessage(part);
            return t === null ? part : t;
        }).join('; ');
    };

    // This page's path below its edition's root, from mdBook's
    // `path_to_root` ("../" per folder); null on 404.html, whose root is
    // absolute (the site URL).
    function pageFromRoot(root) {
        if (root.charAt(0) === '/') { return null; }
        var parts = window.location.pathname.split('/');
        var file = decodeURIComponent(parts.pop()) || 'index.html';
        var up = (root.match(/\.\.\//g) || []).length;
        var dirs = up ? parts.slice(parts.length - up).map(decodeURIComponent) : [];
        return dirs.concat([file]).join('/');
    }

    function twinHref(other) {
        var root = typeof path_to_root === 'string' ? path_to_root : '';
        var dir = mine['edition.dir'] || '';
        var depth = dir.split('/').filter(Boolean).length;
        var page = pageFromRoot(root);
        if (page === null) {
            return root.slice(0, root.length - dir.length) + other['edition.dir'];
        }
        var site = root + new Array(depth + 1).join('../');
        return site + other['edition.dir'] + encodeURI(page);
    }

    // The page carries a plain link to its twin in each other edition
    // (theme/header.hbs, so it works without JavaScript); it is moved into
    // the menu bar here and follows the section the reader is at. A page
    // without one (an older template) gets a link made here.
    function switcher() {
        var bar = document.querySelector('#menu-bar .right-buttons');
        if (!bar) { return; }
        var statics = Array.prototype.slice.call(document.querySelectorAll('a.rsp-lang-static'));
        var primary = function (tag) { return String(tag).split('-')[0]; };
        Object.keys(all).forEach(function (code) {
            if (code === lang || primary(code) === primary(lang)) { return; }
            var other = all[code];
            var a = statics.filter(function (s) { return s.getAttribute('hreflang') === code; })[0];
            var base;
            if (a) {
                base = a.getAttribute('href');
                a.classList.remove('rsp-lang-static');
            } else {
                a = document.createElement('a');
                a.className = 'rsp-lang-switch';
                a.hreflang = code;
                a.lang = code;
                a.textContent = other['edition.name'];
                base = twinHref(other);
            }
            // Headings keep their English anchors in every edition, so the
            // section the reader is at carries over.
            a.href = base + window.location.hash;
            window.addEventListener('hashchange', function () { a.href = base + window.location.hash; });
            a.title = other['edition.read'];
            a.setAttribute('aria-label', other['edition.read']);
            bar.insertBefore(a, bar.firstChild);
        });
    }

    function setLabel(el, key) {
        if (!el) { return; }
        el.title = window.rspT(key);
        el.setAttribute('aria-label', el.title);
    }

    function translateChrome() {
        var search = document.getElementById('searchbar');
        if (search) {
            search.placeholder = window.rspT('chrome.search-placeholder');
            search.setAttribute('aria-label', search.placeholder);
        }
        setLabel(document.getElementById('search-toggle'), 'chrome.search');
        setLabel(document.getElementById('sidebar-toggle'), 'chrome.toc');
        setLabel(document.getElementById('theme-toggle'), 'chrome.theme');
        var parent = function (id) {
            var el = document.getElementById(id);
            return el ? el.parentNode : null;
        };
        setLabel(parent('print-button'), 'chrome.print');
        setLabel(parent('git-repository-button'), 'chrome.git');
        setLabel(parent('git-edit-button'), 'chrome.edit');
        document.querySelectorAll('a.previous').forEach(function (a) { setLabel(a, 'chrome.previous'); });
        document.querySelectorAll('a.next').forEach(function (a) { setLabel(a, 'chrome.next'); });
        // The 404 page (src/404.md) shows its text in both languages by CSS;
        // mdBook titles it in English.
        if (document.querySelector('.rsp-404')) {
            document.title = document.title.replace(en['chrome.not-found'], window.rspT('chrome.not-found'));
        }
    }

    // The footer's first words in this page's language, and the rest:
    // "Ran when the book was built:" (a build), "Ran at 14:02:31:" or
    // "Ran on 2026-12-01 at 14:02:31:" (`cargo xtask serve`).
    function stampLabel(text) {
        if (text.indexOf(en['block.stamp']) === 0) {
            return { label: window.rspT('block.stamp'), rest: text.slice(en['block.stamp'].length) };
        }
        var m = /^Ran (?:on (\d{4}-\d\d-\d\d) )?at (\d\d:\d\d:\d\d):/.exec(text);
        if (!m) { return null; }
        var label = m[1] ? window.rspT('stamp.ran-on', { date: m[1], time: m[2] })
            : window.rspT('stamp.ran-at', { time: m[2] });
        return { label: label, rest: text.slice(m[0].length) };
    }

    // The labels crates/supervisor/src/render.rs writes (in English).
    function translateBlocks() {
        document.querySelectorAll('.rsp-run').forEach(function (block) {
            var label = block.querySelector('.rsp-run-label');
            if (label) { label.textContent = window.rspT('block.label'); }
            var status = block.querySelector('.rsp-run-status');
            if (status) { status.title = window.rspT('block.status-title'); }
            var p = block.querySelector('.rsp-stamp p');
            var first = p && p.firstChild;
            var stamp = first && first.nodeType === 3 ? stampLabel(first.nodeValue) : null;
            if (stamp) {
                // No space after a full-width colon (：).
                var gap = /[\u3000-\u303f\uff00-\uffef]$/.test(stamp.label) ? '' : ' ';
                first.nodeValue = stamp.label + gap + stamp.rest.replace(/^\s+/, '');
            }
            var about = block.querySelector('.rsp-stamp a');
            if (about && about.textContent === en['block.about']) {
                about.textContent = window.rspT('block.about');
            }
        });
    }

    // The words of the pictures crates/supervisor/src/picture/ draws: each
    // element carries its key and the values it was filled with. Also for
    // a picture a script inserts later (a run with trace): rspPictures(el).
    function translatePictures(root) {
        (root || document).querySelectorAll('.rsp-pic [data-rsp-t]').forEach(function (el) {
            var args = JSON.parse(el.getAttribute('data-rsp-args') || 'null');
            el.textContent = window.rspT(el.getAttribute('data-rsp-t'), args);
        });
    }
    window.rspPictures = function (root) {
        if (mine !== en) { translatePictures(root); }
    };

    // mdBook's searcher.js writes the results header in English each time
    // the query changes; it is rewritten here as it appears.
    function translateSearchHeader() {
        var header = document.getElementById('searchresults-header');
        if (!header || !window.MutationObserver) { return; }
        var found = /^(\d+) search results? for '([\s\S]*)':$/;
        var none = /^No search results for '([\s\S]*)'\.$/;
        new MutationObserver(function () {
            var text = header.textContent;
            var m = found.exec(text);
            if (m) {
                header.textContent = window.rspT(m[1] === '1' ? 'search.one' : 'search.many', { n: m[1], term: m[2] });
                return;
            }
            m = none.exec(text);
            if (m) { header.textContent = window.rspT('search.none', { term: m[1] }); }
        }).observe(header, { childList: true, characterData: true, subtree: true });
    }

    switcher();
    if (mine !== en) {
        translateChrome();
        translateBlocks();
        translatePictures(document);
        translateSearchHeader();
    }
})();
