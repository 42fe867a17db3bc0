/* Decontamination's hot path in C: a document's token hashes in one pass over its str (match form, `\w+`
 * tokens and their hashes fused, no array per character), and the first benchmark gram among them.
 *
 * The numpy path (filters/decontaminate.py `document_tokens`, `ContaminationIndex.find`) is the reference:
 * this computes the same token hashes and the same first match (tests/test_decontaminate_kernel.py compares
 * them). The rules come from Python so each has one home: ASCII is lowered and classified with the word table
 * given; every other code point is described once by the Python callable `info` (its case fold + `fold_char`,
 * its canonical combining class, whether it is NFKC's quick-check "yes") and cached here; and NFKC itself is
 * Python's, applied only to the stretches of text that need it. A stretch is one ASCII character with the
 * non-ASCII run after it: no ASCII character is the second of a composition or reordered, so NFKC of a text is
 * the concatenation of NFKC of its stretches, and a stretch whose quick check (CPython's own algorithm, on the
 * cached facts) says yes is already NFKC. Built by the package install (setup.py); filters/decontaminate.py
 * runs numpy when it is missing.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Code points below this have their facts cached in flat arrays (the BMP and the CJK extension planes). */
#define CACHED_CPS 0x30000
#define IS_WORD 0x80000000U /* set on a folded code point that `\w` matches */
#define MAX_FOLD 255
#define KNOWN 1   /* flags: the facts are cached */
#define QC_YES 2  /* flags: NFKC quick check "yes" */

static uint32_t *fold_start; /* [CACHED_CPS] offset of the fold in fold_cps */
static uint8_t *fold_len, *fold_ccc, *fold_flags;
static uint32_t *fold_cps; /* every cached fold's code points | IS_WORD */
static size_t fold_used, fold_room;
/* Token hashes of the current call, reused across calls. A call can run Python (the callables), so another
 * thread can enter meanwhile: it finds the buffer busy and uses one of its own. */
static uint64_t *out_buf;
static size_t out_room;
static int out_busy;

typedef struct {
    uint64_t base, poly, h, power, len;
    uint64_t *out;
    size_t count, room;
    const char *word;
    PyObject *info, *nfkc;
} Tokens;

/* The facts of one non-ASCII code point. */
typedef struct {
    const uint32_t *cps;
    Py_ssize_t n;
    int ccc, qc_yes;
} Facts;

static inline uint64_t mix64(uint64_t h) { /* splitmix64's finaliser, as decontaminate._mix64 */
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
    return h ^ (h >> 31);
}

static inline void end_token(Tokens *t) {
    if (t->len) {
        t->out[t->count++] = mix64(t->h + t->len * t->poly);
        t->h = 0, t->power = 1, t->len = 0;
    }
}

/* One code point of the match form: a word character extends the token (polynomial hash mod 2^64). */
static inline void push(Tokens *t, uint32_t cp, int word) {
    if (word) {
        t->h += (uint64_t)cp * t->power;
        t->power *= t->base;
        t->len++;
    } else {
        end_token(t);
    }
}

static inline void push_ascii(Tokens *t, unsigned c) { push(t, (c - 'A' < 26u) ? c + 32u : c, t->word[c]); }

static int reserve(Tokens *t, size_t room) {
    if (t->room < room) {
        uint64_t *grown = PyMem_Realloc(t->out, room * sizeof(uint64_t));
        if (!grown) return PyErr_NoMemory(), -1;
        t->out = grown, t->room = room;
    }
    return 0;
}

static int is_word(Py_UCS4 c) { return c == '_' || Py_UNICODE_ISALNUM(c); } /* re's `\w` on str */

/* The facts of non-ASCII `cp` from `info(cp) -> (fold, ccc, qc_yes)`; `tmp` holds the fold's code points
 * when `cp` is not cached. 0, or -1 with an exception set. */
static int facts(Tokens *t, Py_UCS4 cp, Facts *f, uint32_t *tmp) {
    if (cp < CACHED_CPS && fold_flags[cp]) {
        f->cps = fold_cps + fold_start[cp], f->n = fold_len[cp];
        f->ccc = fold_ccc[cp], f->qc_yes = (fold_flags[cp] & QC_YES) != 0;
        return 0;
    }
    PyObject *r = PyObject_CallFunction(t->info, "I", (unsigned int)cp);
    if (!r) return -1;
    PyObject *s;
    int ccc, qc_yes;
    if (!PyArg_ParseTuple(r, "Uip", &s, &ccc, &qc_yes) || PyUnicode_GET_LENGTH(s) > MAX_FOLD) {
        if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "info(%u): a fold of at most 255 code points", cp);
        Py_DECREF(r);
        return -1;
    }
    const Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_UCS4 c = PyUnicode_READ_CHAR(s, i);
        tmp[i] = (uint32_t)c | (is_word(c) ? IS_WORD : 0);
    }
    Py_DECREF(r);
    f->cps = tmp, f->n = n, f->ccc = ccc & 0xFF, f->qc_yes = qc_yes;
    if (cp < CACHED_CPS) {
        if (fold_used + (size_t)n > fold_room) {
            size_t room = fold_room ? 2 * fold_room : 4096;
            uint32_t *grown = PyMem_Realloc(fold_cps, room * sizeof(uint32_t));
            if (!grown) return PyErr_NoMemory(), -1;
            fold_cps = grown, fold_room = room;
        }
        memcpy(fold_cps + fold_used, tmp, (size_t)n * sizeof(uint32_t));
        fold_start[cp] = (uint32_t)fold_used, fold_len[cp] = (uint8_t)n, fold_ccc[cp] = (uint8_t)f->ccc;
        fold_flags[cp] = KNOWN | (qc_yes ? QC_YES : 0);
        fold_used += (size_t)n;
    }
    return 0;
}

/* Push the fold of non-ASCII `cp`; `left` code points of the text follow it (an expansion makes room for the
 * most tokens the rest can give: separated tokens, so m code points give at most m / 2 + 1). */
static int push_folded(Tokens *t, Py_UCS4 cp, Py_ssize_t left) {
    uint32_t tmp[MAX_FOLD];
    Facts f;
    if (facts(t, cp, &f, tmp) < 0) return -1;
    if (f.n > 1 && reserve(t, t->count + (size_t)(f.n + left) / 2 + 2) < 0) return -1;
    for (Py_ssize_t i = 0; i < f.n; i++) push(t, f.cps[i] & ~IS_WORD, (f.cps[i] & IS_WORD) != 0);
    return 0;
}

/* Push code points [start, end) of `text`, a stretch (see the top): as they are when CPython's quick check
 * says they are NFKC, else as Python's NFKC of them. */
static int push_stretch(Tokens *t, PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
                        Py_ssize_t left) {
    uint32_t tmp[MAX_FOLD];
    int prev_ccc = 0, normal = 1;
    for (Py_ssize_t i = start; i < end && normal; i++) {
        const Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 128) {
            prev_ccc = 0;
            continue;
        }
        Facts f;
        if (facts(t, c, &f, tmp) < 0) return -1;
        normal = f.qc_yes && !(f.ccc && prev_ccc > f.ccc);
        prev_ccc = f.ccc;
    }
    if (normal) {
        for (Py_ssize_t i = start; i < end; i++) {
            const Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < 128) push_ascii(t, c);
            else if (push_folded(t, c, left + end - i - 1) < 0) return -1;
        }
        return 0;
    }
    PyObject *piece = PyUnicode_Substring(text, start, end);
    PyObject *form = piece ? PyObject_CallOneArg(t->nfkc, piece) : NULL;
    Py_XDECREF(piece);
    if (!form) return -1;
    if (!PyUnicode_Check(form)) {
        PyErr_SetString(PyExc_TypeError, "nfkc must return a str");
        Py_DECREF(form);
        return -1;
    }
    const Py_ssize_t n = PyUnicode_GET_LENGTH(form);
    const int fkind = PyUnicode_KIND(form);
    const void *fdata = PyUnicode_DATA(form);
    int status = reserve(t, t->count + (size_t)(n + left) / 2 + 2);
    for (Py_ssize_t i = 0; i < n && status == 0; i++) {
        const Py_UCS4 c = PyUnicode_READ(fkind, fdata, i);
        if (c < 128) push_ascii(t, c);
        else status = push_folded(t, c, left + n - i - 1);
    }
    Py_DECREF(form);
    return status;
}

PyDoc_STRVAR(token_hashes_doc,
"token_hashes(text, word, info, nfkc, base, poly) -> bytes\n\n"
"The uint64 hashes (native order) of the `\\w+` tokens of the match form of `text`, equal to\n"
"decontaminate.document_tokens(text)[3]. `word` (bytes[128]): which ASCII is a word character (ASCII is\n"
"lowered); `info(cp) -> (fold, ccc, qc_yes)` for a non-ASCII code point of NFKC text: its match form (a str),\n"
"canonical combining class and NFKC quick check; `nfkc(str) -> str`. `base`: the per-token polynomial's\n"
"multiplier, `poly`: the length's multiplier.");

static PyObject *token_hashes(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text, *info, *nfkc;
    const char *word;
    Py_ssize_t word_len;
    unsigned long long base, poly;
    if (!PyArg_ParseTuple(args, "Uy#OOKK", &text, &word, &word_len, &info, &nfkc, &base, &poly)) return NULL;
    if (word_len != 128) {
        PyErr_SetString(PyExc_ValueError, "word: 128 bytes, one flag per ASCII code point");
        return NULL;
    }
    if (!fold_start) {
        fold_start = PyMem_Calloc(CACHED_CPS, sizeof(uint32_t));
        fold_len = PyMem_Calloc(CACHED_CPS, 1);
        fold_ccc = PyMem_Calloc(CACHED_CPS, 1);
        fold_flags = PyMem_Calloc(CACHED_CPS, 1);
        if (!fold_start || !fold_len || !fold_ccc || !fold_flags) return PyErr_NoMemory();
    }
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const int shared = !out_busy;
    Tokens t = {base, poly, 0, 1, 0, shared ? out_buf : NULL, 0, shared ? out_room : 0, word, info, nfkc};
    out_busy |= shared;
    PyObject *result = NULL;
    /* At most one token per two code points, except where folds expand (push_folded makes room then). */
    if (reserve(&t, (size_t)n / 2 + 1) < 0) goto done;
    if (PyUnicode_IS_ASCII(text)) {
        const Py_UCS1 *d = data;
        for (Py_ssize_t i = 0; i < n; i++) push_ascii(&t, d[i]);
    } else {
        Py_ssize_t i = 0;
        while (i < n) {
            /* ASCII followed by ASCII needs no NFKC; else the stretch runs to the next ASCII character. */
            const Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < 128 && (i + 1 == n || PyUnicode_READ(kind, data, i + 1) < 128)) {
                push_ascii(&t, c);
                i++;
                continue;
            }
            Py_ssize_t end = i + 1;
            while (end < n && PyUnicode_READ(kind, data, end) >= 128) end++;
            if (push_stretch(&t, text, kind, data, i, end, n - end) < 0) goto done;
            i = end;
        }
    }
    end_token(&t);
    result = PyBytes_FromStringAndSize((const char *)t.out, (Py_ssize_t)(t.count * sizeof(uint64_t)));
done:
    if (shared && t.room <= ((size_t)1 << 22)) { /* kept up to 32 MB; a huge document's room is freed */
        out_buf = t.out, out_room = t.room;
    } else {
        PyMem_Free(t.out);
        if (shared) out_buf = NULL, out_room = 0;
    }
    out_busy &= !shared;
    return result;
}

/* --- The first benchmark gram among a document's token hashes ------------------------------------------- */

static uint64_t *cand_buf; /* (position, prefix gram) pairs of the current call, reused across calls */
static size_t cand_room;

static inline int has_prefix(const uint8_t *bits, uint64_t gram, int shift) {
    const uint64_t k = gram >> shift;
    return (bits[k >> 3] >> (k & 7)) & 1;
}

/* The first index of `x` in sorted `a`, or -1. */
static Py_ssize_t find_sorted(const uint64_t *a, Py_ssize_t size, uint64_t x) {
    Py_ssize_t lo = 0, hi = size;
    while (lo < hi) {
        const Py_ssize_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < size && a[lo] == x ? lo : -1;
}

typedef struct {
    Py_buffer hashes, entries;
    Py_ssize_t length, size;
} Table;

static int get_table(PyObject *hashes, PyObject *entries, Table *t) {
    if (PyObject_GetBuffer(hashes, &t->hashes, PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (PyObject_GetBuffer(entries, &t->entries, PyBUF_C_CONTIGUOUS) < 0) return -1;
    t->size = t->hashes.len / 8;
    if (t->hashes.len % 8 || t->entries.len != t->size * 4) {
        PyErr_SetString(PyExc_ValueError, "a table: uint64 sorted hashes and one uint32 entry per hash");
        return -1;
    }
    return 0;
}

static void release_table(Table *t) {
    if (t->hashes.obj) PyBuffer_Release(&t->hashes);
    if (t->entries.obj) PyBuffer_Release(&t->entries);
}

PyDoc_STRVAR(first_match_doc,
"first_match(hashes, n, poly, shift, long_bits, long_hashes, long_entries, short_bits, short_tables)\n"
"    -> (position, length, entry) | None\n\n"
"ContaminationIndex.find's decision over a document's token hashes (uint64): the first position whose n-gram\n"
"is in sorted `long_hashes` (its smallest entry), else, by length then position, the first gram of a\n"
"`short_tables` length (a list of (length, sorted hashes, entries), lengths ascending) in that table. A gram's\n"
"hash is the polynomial of its token hashes in `poly` mod 2^64. Only grams whose prefix (`hash >> shift`) has\n"
"its bit set in `long_bits` (n-grams) or, for the gram of the shortest short length at that position, in\n"
"`short_bits` (packed little-endian bits) are searched.");

static PyObject *first_match(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer doc = {0}, long_bits = {0}, short_bits = {0};
    PyObject *long_hashes, *long_entries, *tables_obj, *result = NULL, *tables = NULL;
    Py_ssize_t n;
    unsigned long long poly_arg;
    int shift;
    Table lt = {0}, *st = NULL;
    Py_ssize_t n_short = 0;
    if (!PyArg_ParseTuple(args, "y*nKiy*OOy*O", &doc, &n, &poly_arg, &shift, &long_bits, &long_hashes,
                          &long_entries, &short_bits, &tables_obj))
        return NULL;
    const uint64_t poly = poly_arg;
    const size_t bit_bytes = shift > 3 && shift < 64 ? ((size_t)1 << (64 - shift)) / 8 : 0;
    if (doc.len % 8 || n < 1 || !bit_bytes || (size_t)long_bits.len < bit_bytes || (size_t)short_bits.len < bit_bytes) {
        PyErr_SetString(PyExc_ValueError, "hashes: uint64; n >= 1; bitmaps of 2^(64 - shift) bits");
        goto done;
    }
    if (get_table(long_hashes, long_entries, &lt) < 0) goto done;
    tables = PySequence_Fast(tables_obj, "short_tables must be a sequence");
    if (!tables) goto done;
    n_short = PySequence_Fast_GET_SIZE(tables);
    st = PyMem_Calloc((size_t)(n_short ? n_short : 1), sizeof(Table));
    if (!st) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < n_short; k++) {
        PyObject *h, *e;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(tables, k), "nOO", &st[k].length, &h, &e)) goto done;
        if (get_table(h, e, &st[k]) < 0) goto done;
        if (st[k].length < 1 || (k && st[k].length <= st[k - 1].length)) {
            PyErr_SetString(PyExc_ValueError, "short_tables: lengths >= 1, ascending");
            goto done;
        }
    }
    const uint64_t *h = doc.buf;
    const Py_ssize_t count = doc.len / 8;
    const uint8_t *lbits = long_bits.buf, *sbits = short_bits.buf;
    Py_ssize_t pos = -1, length = 0, at = -1;
    if (count >= n && lt.size) { /* n-grams by a rolling hash: drop the oldest token, add the next */
        uint64_t top = 1, g = 0;
        for (Py_ssize_t j = 1; j < n; j++) top *= poly;
        for (Py_ssize_t j = 0; j + 1 < n; j++) g = g * poly + h[j];
        for (Py_ssize_t i = 0; i + n <= count; i++) {
            g = g * poly + h[i + n - 1];
            if (has_prefix(lbits, g, shift) && (at = find_sorted(lt.hashes.buf, lt.size, g)) >= 0) {
                pos = i, length = n;
                break;
            }
            g -= h[i] * top;
        }
    }
    const Py_ssize_t first = n_short ? st[0].length : 0;
    if (pos < 0 && n_short && count >= first) {
        size_t found = 0;
        const size_t room = 2 * (size_t)(count - first + 1);
        if (cand_room < room) {
            uint64_t *grown = PyMem_Realloc(cand_buf, room * sizeof(uint64_t));
            if (!grown) {
                PyErr_NoMemory();
                goto done;
            }
            cand_buf = grown, cand_room = room;
        }
        uint64_t top = 1, g = 0;
        for (Py_ssize_t j = 1; j < first; j++) top *= poly;
        for (Py_ssize_t j = 0; j + 1 < first; j++) g = g * poly + h[j];
        for (Py_ssize_t i = 0; i + first <= count; i++) {
            g = g * poly + h[i + first - 1];
            if (has_prefix(sbits, g, shift)) cand_buf[found++] = (uint64_t)i, cand_buf[found++] = g;
            g -= h[i] * top;
        }
        for (Py_ssize_t k = 0; k < n_short && pos < 0 && st[k].length <= count; k++) {
            const Py_ssize_t len = st[k].length;
            for (size_t c = 0; c < found && (Py_ssize_t)cand_buf[c] + len <= count; c += 2) {
                const Py_ssize_t i = (Py_ssize_t)cand_buf[c];
                uint64_t gram = cand_buf[c + 1];
                for (Py_ssize_t j = first; j < len; j++) gram = gram * poly + h[i + j];
                if ((at = find_sorted(st[k].hashes.buf, st[k].size, gram)) >= 0) {
                    pos = i, length = len;
                    break;
                }
            }
            if (pos >= 0) at = ((const uint32_t *)st[k].entries.buf)[at];
        }
        if (cand_room > ((size_t)1 << 22)) {
            PyMem_Free(cand_buf);
            cand_buf = NULL, cand_room = 0;
        }
    } else if (pos >= 0) {
        at = ((const uint32_t *)lt.entries.buf)[at];
    }
    result = pos < 0 ? Py_NewRef(Py_None) : Py_BuildValue("nnn", pos, length, at);
done:
    for (Py_ssize_t k = 0; st && k < n_short; k++) release_table(&st[k]);
    PyMem_Free(st);
    release_table(&lt);
    Py_XDECREF(tables);
    PyBuffer_Release(&doc);
    PyBuffer_Release(&long_bits);
    PyBuffer_Release(&short_bits);
    return result;
}

static PyMethodDef methods[] = {
    {"token_hashes", token_hashes, METH_VARARGS, token_hashes_doc},
    {"first_match", first_match, METH_VARARGS, first_match_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_decontaminate", "Decontamination kernel (see filters/decontaminate.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__decontaminate(void) { return PyModule_Create(&module); }
