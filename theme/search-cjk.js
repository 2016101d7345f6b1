// Search that finds Chinese (and Japanese, Korean) words. mdBook 0.4's
// index splits text only at spaces and hyphens, and elasticlunr's trimmer
// strips every character outside [A-Za-z0-9_] from both ends of a word,
// so no CJK text is ever indexed or searched: 殭屍 finds nothing.
//
// This file makes the index and the query use one tokenizer: text is split
// at spaces and hyphens as before, and each run of CJK characters becomes
// its overlapping character pairs (殭屍行程 -> 殭屍 屍行 行程; a lone
// character stays one token), which finds a word without a dictionary.
// The trimmer keeps any letter or digit. Text without CJK gives exactly the
// tokens it gave before, so the English index, built by mdBook, is used
// as it is; an index that holds CJK text (a translated edition) is rebuilt
// here, once, from the documents it stores, when the search bar first loads
// it. Must load after elasticlunr.min.js and before searchindex.js, which
// searcher.js loads only when the search bar opens.
(function () {
    'use strict';
    if (typeof elasticlunr === 'undefined') { return; }

    var CJK = '\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uac00-\\ud7af';
    var HAS_CJK = new RegExp('[' + CJK + ']');
    var RUN = new RegExp('[' + CJK + ']+', 'g');
    var original = elasticlunr.tokenizer;

    function words(text) {
        var out = [];
        text.toLowerCase().split(/[\s-]+/).forEach(function (word) {
            if (!word) { return; }
            if (!HAS_CJK.test(word)) { out.push(word); return; }
            var last = 0;
            word.replace(RUN, function (run, at) {
                if (at > last) { out.push(word.slice(last, at)); }
                var chars = Array.from(run);
                if (chars.length === 1) { out.push(run); }
                for (var i = 0; i + 1 < chars.length; i++) { out.push(chars[i] + chars[i + 1]); }
                last = at + run.length;
                return run;
            });
            if (last < word.length) { out.push(word.slice(last)); }
        });
        return out;
    }

    function tokenizer(str) {
        if (str === null || str === undefined) { return []; }
        if (Array.isArray(str)) {
            return str.reduce(function (acc, s) { return acc.concat(tokenizer(s)); }, []);
        }
        return words(String(str).trim());
    }
    Object.keys(original).forEach(function (k) { tokenizer[k] = original[k]; });
    elasticlunr.tokenizer = tokenizer;

    // Letters and digits of any script survive; punctuation at the ends goes.
    function trimmer(token) {
        return token.replace(/^[^\p{L}\p{N}_]+/u, '').replace(/[^\p{L}\p{N}_]+$/u, '');
    }
    trimmer.label = 'trimmer';
    elasticlunr.trimmer = trimmer;
    elasticlunr.Pipeline.registeredFunctions.trimmer = trimmer;

    var load = elasticlunr.Index.load;
    elasticlunr.Index.load = function (data) {
        var index = load.call(this, data);
        var docs = (data.documentStore && data.documentStore.docs) || {};
        var refs = Object.keys(docs);
        var cjk = refs.some(function (ref) {
            var d = docs[ref];
            return Object.keys(d).some(function (f) { return HAS_CJK.test(String(d[f])); });
        });
        if (!cjk) { return index; }
        var fresh = new elasticlunr.Index();
        fresh.setRef(data.ref);
        data.fields.forEach(function (f) { fresh.addField(f); });
        fresh.pipeline = index.pipeline;
        refs.forEach(function (ref) {
            var doc = {};
            Object.keys(docs[ref]).forEach(function (f) { doc[f] = docs[ref][f]; });
            doc[data.ref] = ref;
            fresh.addDoc(doc, false);
        });
        return fresh;
    };
})();
