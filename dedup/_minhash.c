/* MinHash signatures of whole documents in one pass: tokens, shingle hashes, fmix32 and the affine32
 * permutations fused, so nothing of size (shingles x permutations) is ever stored.
 *
 * The numpy path (dedup/shingles.py ShingleHasher + dedup/minhash.py MinHasher.signatures_of_hashes) is the
 * reference: this computes the same values (tests/test_minhash_kernel.py compares them), and its constants come
 * from Python (the word-byte table, the byte base, the position multipliers, the permutations), so they have
 * one home. Built by the package install (setup.py); dedup/minhash.py falls back to numpy, with one warning in
 * the log, when it is missing.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Shingle hashes buffered per document before the permutations run over them. */
#define HASH_BLOCK 256
/* Permutations kept in registers while a block of hashes streams past them. */
#define PERM_BLOCK 32
#define MAX_NGRAM 64

/* One build runs on every x86-64 machine (a wheel built on the launcher is installed on workers): the loop
 * over permutations is compiled for AVX-512, AVX2 and baseline x86-64, chosen when the module loads. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SIMD_CLONES
#endif

static inline uint64_t fmix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 33);
}

static inline uint32_t fmix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85EBCA6BU;
    h ^= h >> 13;
    h *= 0xC2B2AE35U;
    return h ^ (h >> 16);
}

/* sig[k] = min(sig[k], a[k] * h + b[k] mod 2**32) over the n hashes; uint32 wraparound is the mod. */
SIMD_CLONES
static void permute_min(const uint32_t *restrict hs, Py_ssize_t n, const uint32_t *restrict a,
                        const uint32_t *restrict b, uint32_t *restrict sig, Py_ssize_t num_perm) {
    Py_ssize_t k0 = 0;
    for (; k0 + PERM_BLOCK <= num_perm; k0 += PERM_BLOCK) {
        uint32_t acc[PERM_BLOCK], pa[PERM_BLOCK], pb[PERM_BLOCK];
        for (int j = 0; j < PERM_BLOCK; j++) {
            acc[j] = sig[k0 + j];
            pa[j] = a[k0 + j];
            pb[j] = b[k0 + j];
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            const uint32_t h = hs[i];
            for (int j = 0; j < PERM_BLOCK; j++) {
                const uint32_t v = pa[j] * h + pb[j];
                acc[j] = v < acc[j] ? v : acc[j];
            }
        }
        for (int j = 0; j < PERM_BLOCK; j++) sig[k0 + j] = acc[j];
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const uint32_t h = hs[i];
        for (Py_ssize_t k = k0; k < num_perm; k++) {
            const uint32_t v = a[k] * h + b[k];
            sig[k] = v < sig[k] ? v : sig[k];
        }
    }
}

typedef struct {
    const unsigned char *word;     /* 256 bytes: 1 for the bytes that make tokens */
    uint64_t byte_base;
    const uint64_t *multipliers;   /* ngram of them, one per position in a shingle */
    int ngram;
    const uint32_t *a, *b;
    Py_ssize_t num_perm;
} Params;

/* dedup.shingles.shingle_hash of the count tokens from ring position first on. */
static inline uint32_t shingle_hash(const uint64_t *ring, Py_ssize_t first, int count, int ngram,
                                    const uint64_t *multipliers) {
    uint64_t s = 0;
    for (int k = 0; k < count; k++) s += ring[(first + k) % ngram] * multipliers[k];
    return (uint32_t)(s >> 32);
}

/* One document: its signature into sig (already all 0xFFFFFFFF), its shingle hashes in order into raw
 * unless it is NULL (room for (len + 1) / 2 + 1 of them: a shingle per token at most); returns the number of
 * shingles. */
static Py_ssize_t sign_document(const Params *p, const unsigned char *data, Py_ssize_t len, uint32_t *sig,
                                uint32_t *raw) {
    uint64_t ring[MAX_NGRAM];  /* the last ngram token hashes; token t at t % ngram */
    uint32_t hs[HASH_BLOCK];
    Py_ssize_t tokens = 0, shingles = 0;
    int held = 0;
    Py_ssize_t i = 0;
    while (i < len) {
        while (i < len && !p->word[data[i]]) i++;
        if (i == len) break;
        uint64_t h = 0, power = 1;
        while (i < len && p->word[data[i]]) {
            h += (uint64_t)data[i] * power;
            power *= p->byte_base;
            i++;
        }
        ring[tokens % p->ngram] = fmix64(h);
        tokens++;
        if (tokens >= p->ngram) {
            const uint32_t h = shingle_hash(ring, tokens - p->ngram, p->ngram, p->ngram, p->multipliers);
            if (raw) raw[shingles] = h;
            hs[held++] = fmix32(h);
            shingles++;
            if (held == HASH_BLOCK) {
                permute_min(hs, held, p->a, p->b, sig, p->num_perm);
                held = 0;
            }
        }
    }
    if (tokens > 0 && tokens < p->ngram) {  /* fewer tokens than a shingle: one shingle of all of them */
        const uint32_t h = shingle_hash(ring, 0, (int)tokens, p->ngram, p->multipliers);
        if (raw) raw[0] = h;
        hs[held++] = fmix32(h);
        shingles = 1;
    }
    if (held) permute_min(hs, held, p->a, p->b, sig, p->num_perm);
    return shingles;
}

static int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, Py_ssize_t items, int writable,
                      const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0) return -1;
    if (view->len != itemsize * items) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd bytes, got %zd", name, itemsize * items, view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(signatures_doc,
"signatures(docs, word, byte_base, multipliers, a, b, out, sizes, hashes=None)\n\n"
"MinHash signatures of a list of UTF-8 `bytes` documents into `out` (uint32[len(docs), len(a)], C order),\n"
"the number of shingles of each into `sizes` (int64[len(docs)]). `word`: 256 bytes (1 = token byte);\n"
"`multipliers`: uint64[ngram]; `a`, `b`: uint32 permutation parameters. `hashes`, if given: uint32 room for\n"
"sum(len(doc) // 2 + 1), receives every document's shingle hashes (dedup.shingles.shingle_hash) in order,\n"
"document after document (sizes[i] each). The GIL is released while signing.");

static PyObject *signatures(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *docs_obj, *word_obj, *mult_obj, *a_obj, *b_obj, *out_obj, *sizes_obj, *hashes_obj = Py_None;
    unsigned long long byte_base;
    if (!PyArg_ParseTuple(args, "OOKOOOOO|O", &docs_obj, &word_obj, &byte_base, &mult_obj, &a_obj, &b_obj,
                          &out_obj, &sizes_obj, &hashes_obj))
        return NULL;
    PyObject *docs = PySequence_Fast(docs_obj, "docs must be a sequence of bytes");
    if (!docs) return NULL;
    const Py_ssize_t n_docs = PySequence_Fast_GET_SIZE(docs);
    Py_buffer word = {0}, mult = {0}, a = {0}, b = {0}, out = {0}, sizes = {0}, hashes = {0};
    PyObject *result = NULL;
    const unsigned char **data = NULL;
    Py_ssize_t *lens = NULL, room = 0;
    if (PyObject_GetBuffer(mult_obj, &mult, PyBUF_C_CONTIGUOUS) < 0) goto done;
    if (PyObject_GetBuffer(a_obj, &a, PyBUF_C_CONTIGUOUS) < 0) goto done;
    const Py_ssize_t ngram = mult.len / 8, num_perm = a.len / 4;
    if (ngram < 1 || ngram > MAX_NGRAM || mult.len % 8 || num_perm < 1 || a.len % 4) {
        PyErr_SetString(PyExc_ValueError, "multipliers: 1..64 uint64 values; a: at least one uint32");
        goto done;
    }
    if (get_buffer(word_obj, &word, 1, 256, 0, "word") < 0) goto done;
    if (get_buffer(b_obj, &b, 4, num_perm, 0, "b") < 0) goto done;
    if (get_buffer(out_obj, &out, 4, n_docs * num_perm, 1, "out") < 0) goto done;
    if (get_buffer(sizes_obj, &sizes, 8, n_docs, 1, "sizes") < 0) goto done;
    data = PyMem_Malloc(sizeof(*data) * (size_t)(n_docs ? n_docs : 1));
    lens = PyMem_Malloc(sizeof(*lens) * (size_t)(n_docs ? n_docs : 1));
    if (!data || !lens) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        PyObject *doc = PySequence_Fast_GET_ITEM(docs, d);
        if (!PyBytes_Check(doc)) {
            PyErr_Format(PyExc_TypeError, "docs[%zd]: expected bytes, got %.100s", d, Py_TYPE(doc)->tp_name);
            goto done;
        }
        data[d] = (const unsigned char *)PyBytes_AS_STRING(doc);
        lens[d] = PyBytes_GET_SIZE(doc);
        room += lens[d] / 2 + 1;
    }
    if (hashes_obj != Py_None) {
        if (PyObject_GetBuffer(hashes_obj, &hashes, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) goto done;
        if (hashes.len < room * 4) {
            PyErr_Format(PyExc_ValueError, "hashes: room for %zd uint32 needed, got %zd bytes", room, hashes.len);
            goto done;
        }
    }
    const Params p = {word.buf, (uint64_t)byte_base, mult.buf, (int)ngram, a.buf, b.buf, num_perm};
    uint32_t *sig = out.buf;
    int64_t *counts = sizes.buf;
    uint32_t *raw = hashes.obj ? hashes.buf : NULL;
    /* The documents stay alive: `docs` holds them (bytes are immutable). */
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        uint32_t *row = sig + d * num_perm;
        for (Py_ssize_t k = 0; k < num_perm; k++) row[k] = 0xFFFFFFFFU;
        counts[d] = sign_document(&p, data[d], lens[d], row, raw);
        if (raw) raw += counts[d];
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(data);
    PyMem_Free(lens);
    if (word.obj) PyBuffer_Release(&word);
    if (mult.obj) PyBuffer_Release(&mult);
    if (a.obj) PyBuffer_Release(&a);
    if (b.obj) PyBuffer_Release(&b);
    if (out.obj) PyBuffer_Release(&out);
    if (sizes.obj) PyBuffer_Release(&sizes);
    if (hashes.obj) PyBuffer_Release(&hashes);
    Py_DECREF(docs);
    return result;
}

static PyMethodDef methods[] = {
    {"signatures", signatures, METH_VARARGS, signatures_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_minhash", "Fused MinHash kernel (see dedup/minhash.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__minhash(void) { return PyModule_Create(&module); }
