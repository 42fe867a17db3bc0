"""Writes the bundled GitHub sample: small repositories the project owns, under `sample/github/`.

    python sample/make_sample.py            # rewrite the repositories below into sample/github/
    python sample/make_sample.py --check    # exit 1 if the files on disk differ from this script

The repositories are real-looking code in several languages with import/include dependencies between
files (Python, Java, C, C++, C#), two near-duplicate file pairs across repositories (for dedup), and for
every file rule at least one file it drops (`EXPECTED_DROPS`) while the rest are kept. Only the
repositories named in `REPOS` are managed here; other folders under sample/github/ are left alone.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "github"


def _d(text: str) -> str:
    """A dedented file body ending in exactly one newline."""
    return textwrap.dedent(text).lstrip("\n").rstrip() + "\n"


TEXTUTIL_PY = _d(
    '''
    """Small text helpers shared by the command-line tools."""

    import textwrap


    def wrap(text, width=72):
        """Wrap `text` to lines of at most `width` characters."""
        return "\\n".join(textwrap.wrap(text, width=width))


    def title_case(words):
        """Capitalise every word of `words` except short joining words."""
        small = {"a", "an", "and", "of", "the", "to"}
        out = []
        for i, word in enumerate(words.split()):
            out.append(word if i and word in small else word.capitalize())
        return " ".join(out)


    def plural(count, noun):
        """'1 file', '2 files'."""
        return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
    '''
)

VEC_C = _d(
    """
    /* A growable vector of doubles. */
    #include <stdlib.h>
    #include <string.h>

    #include "vec.h"

    int vec_init(struct vec *v, size_t capacity)
    {
        v->data = malloc(capacity * sizeof(double));
        if (v->data == NULL)
            return -1;
        v->len = 0;
        v->cap = capacity;
        return 0;
    }

    int vec_push(struct vec *v, double value)
    {
        if (v->len == v->cap) {
            size_t cap = v->cap ? v->cap * 2 : 4;
            double *data = realloc(v->data, cap * sizeof(double));
            if (data == NULL)
                return -1;
            v->data = data;
            v->cap = cap;
        }
        v->data[v->len++] = value;
        return 0;
    }

    double vec_sum(const struct vec *v)
    {
        double total = 0.0;
        for (size_t i = 0; i < v->len; i++)
            total += v->data[i];
        return total;
    }

    void vec_free(struct vec *v)
    {
        free(v->data);
        memset(v, 0, sizeof(*v));
    }
    """
)


def _long_line_messages() -> str:
    """Python whose lines average over 100 characters, none over 1000: dropped by avg_line_length."""
    topics = ["circle", "square", "triangle", "hexagon", "ellipse", "polygon", "star", "arrow"]
    lines = ['"""User-facing help strings, one per shape."""']
    for topic in topics:
        sentence = (
            f"The {topic} command draws a {topic} on the current canvas using the active pen, fill colour and "
            f"line width; pass --scale to resize the {topic} and --at to move its centre."
        )
        lines.append(f"HELP_{topic.upper()} = {sentence!r}")
    return "\n".join(lines) + "\n"


def _crc_table() -> str:
    """C that is mostly a table of numbers (under 25% letters): dropped by alpha_fraction."""
    values = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (0xEDB88320 ^ (c >> 1)) if c & 1 else c >> 1
        values.append(f"{c}u")
    rows = "\n".join("    " + ", ".join(values[i : i + 6]) + "," for i in range(0, 256, 6))
    body = _d(
        """
        /* CRC-32 lookup table (polynomial 0xEDB88320), precomputed. */
        #include <stdint.h>

        #include "vec.h"

        static const uint32_t crc_table[256] = {
        @VALUES@
        };

        uint32_t crc32_update(uint32_t crc, const unsigned char *buf, unsigned long len)
        {
            crc = ~crc;
            while (len--)
                crc = crc_table[(crc ^ *buf++) & 0xff] ^ (crc >> 8);
            return ~crc;
        }
        """
    )
    return body.replace("@VALUES@", rows)


def _icons_py() -> str:
    """Python with one embedded base64 blob over 1000 characters, average under 100: max_line_length."""
    blob, block = b"", b"pyshapes-logo"
    while len(blob) < 1100:
        block = hashlib.sha256(block).digest()
        blob += block
    lines = [
        '"""Icons embedded as base64 PNG data, so the package needs no data files."""',
        "",
        "import base64",
        "",
        f"LOGO_PNG_BASE64 = {base64.b64encode(blob).decode()!r}",
        "",
        "",
        "def logo_png():",
        '    """The logo as PNG bytes."""',
        "    return base64.b64decode(LOGO_PNG_BASE64)",
        "",
    ]
    for name in ["circle", "square", "triangle", "hexagon", "ellipse", "polygon", "star", "arrow"]:
        lines += [
            "",
            f"def {name}_icon(size=16):",
            f'    """A {name} icon of `size` pixels, drawn from the logo palette."""',
            f"    return {{'shape': {name!r}, 'size': size, 'palette': logo_png()[:4]}}",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def _countries_json() -> str:
    """A JSON file over 5000 characters: dropped by json_yaml_size."""
    names = [
        "Argentina", "Australia", "Austria", "Belgium", "Brazil", "Canada", "Chile", "China", "Colombia",
        "Denmark", "Egypt", "Finland", "France", "Germany", "Greece", "India", "Indonesia", "Ireland",
        "Italy", "Japan", "Kenya", "Mexico", "Morocco", "Netherlands", "New Zealand", "Nigeria", "Norway",
        "Peru", "Poland", "Portugal", "Romania", "South Africa", "South Korea", "Spain", "Sweden",
        "Switzerland", "Thailand", "Turkey", "Ukraine", "United Kingdom", "United States", "Vietnam",
    ]
    rows = [
        {"name": name, "code": name[:2].upper(), "rank": i + 1, "enabled": i % 3 != 0, "tags": ["region"]}
        for i, name in enumerate(names)
    ]
    return json.dumps({"countries": rows}, indent=2) + "\n"


def _package_lock() -> str:
    """npm's lock file: dropped by lock_file."""
    packages = {
        "": {"name": "webapp", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}},
        "node_modules/left-pad": {
            "version": "1.3.0",
            "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
            "integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEmqsBw7vaGl7pDUFVKu5gm6h0FZI2BMEnhCUqRI1qUAFPQ==",
        },
    }
    return json.dumps({"name": "webapp", "lockfileVersion": 3, "packages": packages}, indent=2) + "\n"


def _minified_polyfill() -> str:
    """JS on one long line with almost no whitespace: dropped by minified (content heuristic)."""
    parts = [
        f"function p{i}(a,b){{return a&&a.length>{i}?a.slice({i}).concat(b||[]):b||[]}}" for i in range(14)
    ]
    return "!function(w){" + ";".join(parts) + ";w.poly={" + ",".join(f"p{i}:p{i}" for i in range(14)) + "}}(window);\n"


def _dashboard_html() -> str:
    """HTML that is mostly script and style: dropped by html_visible_text."""
    script = "\n".join(
        f"  chart.series[{i}] = data.filter(function (row) {{ return row.group === {i}; }}).map(toPoint);"
        for i in range(24)
    )
    return _d(
        """
        <!DOCTYPE html>
        <html>
        <head>
          <title>Dashboard</title>
          <style>body { margin: 0; font-family: sans-serif; } #chart { width: 100%; height: 480px; }</style>
        </head>
        <body>
          <div id="chart"></div>
          <script>
          var chart = { series: [] };
          function toPoint(row) { return { x: row.day, y: row.value }; }
        @SCRIPT@
          </script>
          <p>Loading.</p>
        </body>
        </html>
        """
    ).replace("@SCRIPT@", script)


REPOS: dict[str, dict[str, str]] = {
    "pyshapes": {
        "README.md": _d(
            """
            # pyshapes

            Tiny geometry package: shapes with area and perimeter, and a registry that builds them by name.

            ```python
            from shapes.registry import build
            print(build("circle", 2.0).area())
            ```
            """
        ),
        "setup.cfg": "[metadata]\nname = pyshapes\nversion = 0.1.0\n\n[options]\npackages = find:\n",
        "config.yaml": "canvas:\n  width: 640\n  height: 480\npen:\n  colour: black\n  width: 2\n",
        "codecov.yml": "comment: false\n",
        "Pipfile.lock": json.dumps({"_meta": {"hash": {"sha256": "0" * 64}}, "default": {}}, indent=4) + "\n",
        "main.py": _d(
            '''
            """Print the area of every shape named on the command line."""

            import sys

            from shapes.registry import build
            from shapes.textutil import plural


            def main(argv):
                shapes = [build(name, 1.0) for name in argv[1:]]
                for shape in shapes:
                    print(f"{shape.name}: {shape.area():.3f}")
                print(plural(len(shapes), "shape"))


            if __name__ == "__main__":
                main(sys.argv)
            '''
        ),
        "shapes/__init__.py": _d(
            '''
            """Shapes with area and perimeter."""

            from shapes.circle import Circle
            from shapes.square import Square

            __all__ = ["Circle", "Square"]
            '''
        ),
        "shapes/base.py": _d(
            '''
            """The interface every shape implements."""


            class Shape:
                name = "shape"

                def area(self):
                    raise NotImplementedError

                def perimeter(self):
                    raise NotImplementedError

                def describe(self):
                    return f"{self.name} with area {self.area():.2f}"
            '''
        ),
        "shapes/circle.py": _d(
            '''
            import math

            from shapes.base import Shape


            class Circle(Shape):
                name = "circle"

                def __init__(self, radius):
                    self.radius = radius

                def area(self):
                    return math.pi * self.radius ** 2

                def perimeter(self):
                    return 2 * math.pi * self.radius
            '''
        ),
        "shapes/square.py": _d(
            '''
            from .base import Shape


            class Square(Shape):
                name = "square"

                def __init__(self, side):
                    self.side = side

                def area(self):
                    return self.side * self.side

                def perimeter(self):
                    return 4 * self.side
            '''
        ),
        "shapes/registry.py": _d(
            '''
            """Build shapes by name."""

            from shapes import circle, square

            _KINDS = {"circle": circle.Circle, "square": square.Square}


            def build(name, size):
                try:
                    return _KINDS[name](size)
                except KeyError:
                    raise ValueError(f"unknown shape {name!r}; known: {sorted(_KINDS)}") from None
            '''
        ),
        "shapes/textutil.py": TEXTUTIL_PY,
        "shapes/messages.py": _long_line_messages(),
        "shapes/icons.py": _icons_py(),
        "shapes/shapes_pb2.py": _d(
            '''
            # -*- coding: utf-8 -*-
            # Generated by the protocol buffer compiler.  DO NOT EDIT!
            # source: shapes.proto
            """Generated protocol buffer code."""
            from google.protobuf import descriptor as _descriptor
            from google.protobuf import symbol_database as _symbol_database

            _sym_db = _symbol_database.Default()
            DESCRIPTOR = _descriptor.FileDescriptor(name="shapes.proto", package="shapes", syntax="proto3")
            '''
        ),
        "tests/__init__.py": "\n",
        "tests/test_circle.py": _d(
            '''
            import math

            from shapes.circle import Circle


            def test_area():
                assert math.isclose(Circle(1.0).area(), math.pi)


            def test_perimeter():
                assert math.isclose(Circle(0.5).perimeter(), math.pi)
            '''
        ),
    },
    "pystats": {
        "README.md": "# pystats\n\nDescriptive statistics for small samples, with a text report.\n",
        "stats/__init__.py": '"""Descriptive statistics."""\n\nfrom stats.describe import describe\n',
        "stats/mean.py": _d(
            '''
            """Means of a sample."""


            def mean(values):
                values = list(values)
                if not values:
                    raise ValueError("mean of an empty sample")
                return sum(values) / len(values)


            def variance(values):
                m = mean(values)
                return sum((v - m) ** 2 for v in values) / len(values)
            '''
        ),
        "stats/describe.py": _d(
            '''
            """A one-paragraph description of a sample."""

            from stats.mean import mean, variance
            from stats.textutil import plural, wrap


            def describe(values):
                values = list(values)
                text = (
                    f"{plural(len(values), 'value')} with mean {mean(values):.3f} "
                    f"and variance {variance(values):.3f}."
                )
                return wrap(text)
            '''
        ),
        # Near-duplicate of pyshapes/shapes/textutil.py (one docstring changed).
        "stats/textutil.py": TEXTUTIL_PY.replace(
            "Small text helpers shared by the command-line tools.", "Text helpers for the statistics report."
        ),
        "analysis/fit.m": _d(
            """
            function p = fit(x, y)
            % FIT  Least-squares line through the points (x, y).
            %   p = fit(x, y) returns [slope, intercept].
              A = [x(:), ones(numel(x), 1)];
              p = (A \\ y(:))';
            end
            """
        ),
        "scripts/report.pl": _d(
            """
            #!/usr/bin/env perl
            use strict;
            use warnings;

            # Print the mean of the numbers given on standard input.
            my ($sum, $n) = (0, 0);
            while (my $line = <STDIN>) {
                chomp $line;
                next unless length $line;
                $sum += $line;
                $n++;
            }
            printf "mean %.3f of %d values\\n", $n ? $sum / $n : 0, $n;
            """
        ),
    },
    "javaqueue": {
        "README.md": "# javaqueue\n\nA bounded array-backed queue with argument checks, and a demo.\n",
        "pom.xml": _d(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <project xmlns="http://maven.apache.org/POM/4.0.0">
              <modelVersion>4.0.0</modelVersion>
              <groupId>org.sample</groupId>
              <artifactId>javaqueue</artifactId>
              <version>1.0</version>
            </project>
            """
        ),
        "src/main/java/org/sample/queue/Queue.java": _d(
            """
            package org.sample.queue;

            /** A first-in first-out queue. */
            public interface Queue<T> {
                void add(T item);

                T remove();

                int size();

                default boolean isEmpty() {
                    return size() == 0;
                }
            }
            """
        ),
        "src/main/java/org/sample/queue/ArrayQueue.java": _d(
            """
            package org.sample.queue;

            import org.sample.queue.util.Checks;

            /** A bounded queue stored in a ring buffer. */
            public final class ArrayQueue<T> implements Queue<T> {
                private final Object[] items;
                private int head;
                private int count;

                public ArrayQueue(int capacity) {
                    Checks.positive(capacity, "capacity");
                    items = new Object[capacity];
                }

                @Override
                public void add(T item) {
                    Checks.state(count < items.length, "queue is full");
                    items[(head + count) % items.length] = item;
                    count++;
                }

                @Override
                @SuppressWarnings("unchecked")
                public T remove() {
                    Checks.state(count > 0, "queue is empty");
                    T item = (T) items[head];
                    items[head] = null;
                    head = (head + 1) % items.length;
                    count--;
                    return item;
                }

                @Override
                public int size() {
                    return count;
                }
            }
            """
        ),
        "src/main/java/org/sample/queue/util/Checks.java": _d(
            """
            package org.sample.queue.util;

            /** Argument and state checks that throw with a readable message. */
            public final class Checks {
                private Checks() {}

                public static void positive(int value, String name) {
                    if (value <= 0) {
                        throw new IllegalArgumentException(name + " must be positive, got " + value);
                    }
                }

                public static void state(boolean condition, String message) {
                    if (!condition) {
                        throw new IllegalStateException(message);
                    }
                }
            }
            """
        ),
        "src/main/java/org/sample/app/Main.java": _d(
            """
            package org.sample.app;

            import org.sample.queue.ArrayQueue;
            import org.sample.queue.Queue;

            public class Main {
                public static void main(String[] args) {
                    Queue<String> queue = new ArrayQueue<>(4);
                    for (String arg : args) {
                        queue.add(arg);
                    }
                    while (!queue.isEmpty()) {
                        System.out.println(queue.remove());
                    }
                }
            }
            """
        ),
    },
    "cvector": {
        "Makefile": _d(
            """
            CFLAGS ?= -O2 -Wall -Iinclude

            vecdemo: src/main.o src/vec.o src/crc_table.o
            \t$(CC) -o $@ $^

            clean:
            \trm -f vecdemo src/*.o
            """
        ),
        "include/vec.h": _d(
            """
            #ifndef VEC_H
            #define VEC_H

            #include <stddef.h>

            struct vec {
                double *data;
                size_t len;
                size_t cap;
            };

            int vec_init(struct vec *v, size_t capacity);
            int vec_push(struct vec *v, double value);
            double vec_sum(const struct vec *v);
            void vec_free(struct vec *v);

            #endif
            """
        ),
        "src/vec.c": VEC_C,
        "src/crc_table.c": _crc_table(),
        "src/main.c": _d(
            """
            #include <stdio.h>
            #include <stdlib.h>

            #include "vec.h"

            int main(int argc, char **argv)
            {
                struct vec v;
                if (vec_init(&v, 8) != 0)
                    return 1;
                for (int i = 1; i < argc; i++)
                    vec_push(&v, atof(argv[i]));
                printf("sum %g of %zu values\\n", vec_sum(&v), v.len);
                vec_free(&v);
                return 0;
            }
            """
        ),
    },
    "cppgeom": {
        "CMakeLists.txt": _d(
            """
            cmake_minimum_required(VERSION 3.16)
            project(cppgeom CXX C)
            add_executable(geomdemo src/main.cpp src/polygon.cpp third_party/vec.c)
            target_include_directories(geomdemo PRIVATE include third_party)
            """
        ),
        "include/geom/point.h": _d(
            """
            #pragma once

            namespace geom {

            struct Point {
                double x = 0;
                double y = 0;
            };

            class Vector2 {
            public:
                Vector2(double x, double y) : x_(x), y_(y) {}
                double cross(const Vector2 &o) const { return x_ * o.y_ - y_ * o.x_; }

            private:
                double x_, y_;
            };

            }  // namespace geom
            """
        ),
        "include/geom/polygon.hpp": _d(
            """
            #pragma once

            #include <vector>

            #include "geom/point.h"

            namespace geom {

            class Polygon {
            public:
                explicit Polygon(std::vector<Point> points) : points_(std::move(points)) {}
                double area() const;
                std::size_t size() const { return points_.size(); }

            private:
                std::vector<Point> points_;
            };

            }  // namespace geom
            """
        ),
        "src/polygon.cpp": _d(
            """
            #include "geom/polygon.hpp"

            #include <cmath>

            namespace geom {

            // Shoelace formula.
            double Polygon::area() const {
                double twice = 0;
                for (std::size_t i = 0; i < points_.size(); ++i) {
                    const Point &a = points_[i];
                    const Point &b = points_[(i + 1) % points_.size()];
                    twice += a.x * b.y - b.x * a.y;
                }
                return std::abs(twice) / 2;
            }

            }  // namespace geom
            """
        ),
        "src/main.cpp": _d(
            """
            #include <iostream>

            #include "geom/polygon.hpp"

            int main() {
                geom::Polygon square({{0, 0}, {1, 0}, {1, 1}, {0, 1}});
                std::cout << "area " << square.area() << " of " << square.size() << " points\\n";
                return 0;
            }
            """
        ),
        # Near-duplicate of cvector/src/vec.c (vendored with a different first comment).
        "third_party/vec.c": VEC_C.replace("/* A growable vector of doubles. */", "/* Vendored from cvector. */"),
        "third_party/vec.h": _d(
            """
            #ifndef VEC_H
            #define VEC_H
            #include <stddef.h>
            struct vec { double *data; size_t len; size_t cap; };
            int vec_init(struct vec *v, size_t capacity);
            int vec_push(struct vec *v, double value);
            double vec_sum(const struct vec *v);
            void vec_free(struct vec *v);
            #endif
            """
        ),
    },
    "csledger": {
        "Ledger.csproj": _d(
            """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net8.0</TargetFramework>
              </PropertyGroup>
            </Project>
            """
        ),
        "App.config": _d(
            """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <appSettings>
                <add key="currency" value="EUR" />
              </appSettings>
            </configuration>
            """
        ),
        "Ledger/Entry.cs": _d(
            """
            namespace Sample.Ledger
            {
                /// <summary>One booked amount with a description.</summary>
                public sealed record Entry(string Description, decimal Amount);
            }
            """
        ),
        "Ledger/Ledger.cs": _d(
            """
            using System.Collections.Generic;
            using System.Linq;

            namespace Sample.Ledger
            {
                /// <summary>An append-only list of entries with a running balance.</summary>
                public class Ledger
                {
                    private readonly List<Entry> entries = new List<Entry>();

                    public void Book(string description, decimal amount)
                    {
                        entries.Add(new Entry(description, amount));
                    }

                    public decimal Balance => entries.Sum(e => e.Amount);

                    public IReadOnlyList<Entry> Entries => entries;
                }
            }
            """
        ),
        "Ledger/Ledger.Designer.cs": _d(
            """
            //------------------------------------------------------------------------------
            // <auto-generated>
            //     This code was generated by a tool.
            // </auto-generated>
            //------------------------------------------------------------------------------
            namespace Sample.Ledger
            {
                internal static class Resources
                {
                    internal static string Title => "Ledger";
                }
            }
            """
        ),
        "App/Program.cs": _d(
            """
            using System;
            using Sample.Ledger;

            namespace Sample.App
            {
                public static class Program
                {
                    public static void Main()
                    {
                        var ledger = new Ledger.Ledger();
                        ledger.Book("coffee", -3.20m);
                        ledger.Book("salary", 2500m);
                        Console.WriteLine($"balance {ledger.Balance}");
                    }
                }
            }
            """
        ),
    },
    "webapp": {
        "README.md": "# webapp\n\nA static page that formats a table of numbers, with an XSLT report.\n",
        "package.json": json.dumps(
            {"name": "webapp", "version": "1.0.0", "type": "module", "dependencies": {"left-pad": "^1.3.0"}},
            indent=2,
        )
        + "\n",
        "package-lock.json": _package_lock(),
        ".eslintrc.json": '{"root": true}\n',
        "index.html": _d(
            """
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <title>Number formatter</title>
              <link rel="stylesheet" href="styles/site.css">
            </head>
            <body>
              <h1>Number formatter</h1>
              <p>Paste a column of numbers into the box below and press <b>Format</b>. Every number is
                 rounded to two decimals and aligned on the decimal point, so the column reads at a glance.</p>
              <p>Nothing leaves your browser: the page works offline once loaded.</p>
              <textarea id="input" rows="8"></textarea>
              <button id="format">Format</button>
              <pre id="output"></pre>
              <script type="module" src="src/app.js"></script>
            </body>
            </html>
            """
        ),
        "dashboard.html": _dashboard_html(),
        "src/app.js": _d(
            """
            import { alignColumn } from './format.js';

            const input = document.getElementById('input');
            const output = document.getElementById('output');

            document.getElementById('format').addEventListener('click', () => {
              const numbers = input.value.split('\\n').filter((line) => line.trim() !== '');
              output.textContent = alignColumn(numbers.map(Number)).join('\\n');
            });
            """
        ),
        "src/format.js": _d(
            """
            // Round to two decimals and pad so the decimal points line up.
            export function alignColumn(values) {
              const texts = values.map((v) => v.toFixed(2));
              const width = Math.max(...texts.map((t) => t.length));
              return texts.map((t) => t.padStart(width, ' '));
            }
            """
        ),
        "src/types.ts": _d(
            """
            export interface Row {
              label: string;
              value: number;
            }

            export function total(rows: Row[]): number {
              return rows.reduce((sum, row) => sum + row.value, 0);
            }
            """
        ),
        "styles/site.css": _d(
            """
            body {
              font-family: system-ui, sans-serif;
              margin: 2rem auto;
              max-width: 40rem;
            }

            #output {
              background: #f6f6f6;
              padding: 1rem;
            }
            """
        ),
        "vendor/chart.min.js": "!function(w){w.chart=function(e){return{draw:function(d){e.textContent=d.join()}}}}(window);\n",
        "vendor/polyfill.js": _minified_polyfill(),
        "report.xsl": _d(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
              <xsl:template match="/rows">
                <table>
                  <xsl:for-each select="row">
                    <tr><td><xsl:value-of select="@label"/></td><td><xsl:value-of select="@value"/></td></tr>
                  </xsl:for-each>
                </table>
              </xsl:template>
            </xsl:stylesheet>
            """
        ),
        "feed.xml": _d(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0">
              <channel><title>webapp releases</title><item><title>1.0.0</title></item></channel>
            </rss>
            """
        ),
        "data/countries.json": _countries_json(),
        "docs/NOTES.txt": "Release notes live in the changelog; this folder holds design notes only.\n",
    },
    "gotools": {
        "go.mod": "module example.com/gotools\n\ngo 1.21\n",
        "main.go": _d(
            """
            package main

            import (
            \t"fmt"
            \t"os"

            \t"example.com/gotools/strutil"
            )

            func main() {
            \tfor _, arg := range os.Args[1:] {
            \t\tfmt.Println(strutil.Reverse(arg))
            \t}
            }
            """
        ),
        "strutil/strutil.go": _d(
            """
            // Package strutil holds small string helpers.
            package strutil

            // Reverse returns s with its runes in reverse order.
            func Reverse(s string) string {
            \tr := []rune(s)
            \tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
            \t\tr[i], r[j] = r[j], r[i]
            \t}
            \treturn string(r)
            }
            """
        ),
        "strutil/zz_generated.go": _d(
            """
            // Code generated by stringer -type=Mode; DO NOT EDIT.

            package strutil

            func (i Mode) String() string { return [...]string{"Plain", "Upper"}[i] }
            """
        ),
    },
    "rustcalc": {
        "Cargo.toml": '[package]\nname = "rustcalc"\nversion = "0.1.0"\nedition = "2021"\n',
        "Cargo.lock": '# This file is automatically @generated by Cargo.\nversion = 3\n\n[[package]]\nname = "rustcalc"\nversion = "0.1.0"\n',
        "src/main.rs": _d(
            """
            mod lexer;

            use lexer::{tokenize, Token};

            fn main() {
                let expr = std::env::args().nth(1).unwrap_or_else(|| "1 + 2".to_string());
                let mut total = 0i64;
                let mut sign = 1;
                for token in tokenize(&expr) {
                    match token {
                        Token::Number(n) => total += sign * n,
                        Token::Plus => sign = 1,
                        Token::Minus => sign = -1,
                    }
                }
                println!("{total}");
            }
            """
        ),
        "src/lexer.rs": _d(
            """
            #[derive(Debug, PartialEq)]
            pub enum Token {
                Number(i64),
                Plus,
                Minus,
            }

            /// Split an expression like "12 + 3 - 4" into tokens; other characters are skipped.
            pub fn tokenize(input: &str) -> Vec<Token> {
                let mut tokens = Vec::new();
                let mut chars = input.chars().peekable();
                while let Some(c) = chars.next() {
                    match c {
                        '+' => tokens.push(Token::Plus),
                        '-' => tokens.push(Token::Minus),
                        '0'..='9' => {
                            let mut n = c.to_digit(10).unwrap() as i64;
                            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                                n = n * 10 + d as i64;
                                chars.next();
                            }
                            tokens.push(Token::Number(n));
                        }
                        _ => {}
                    }
                }
                tokens
            }
            """
        ),
    },
}

# What the language and file-rule stages should do with each sample file (default config); every other
# file is kept. tests/test_sample.py checks this table against the rules.
EXPECTED_DROPS: dict[str, str] = {
    "pyshapes/setup.cfg": "unknown_language",
    "pyshapes/codecov.yml": "json_yaml_size",
    "pyshapes/Pipfile.lock": "lock_file",
    "pyshapes/shapes/messages.py": "avg_line_length",
    "pyshapes/shapes/shapes_pb2.py": "autogenerated",
    "pyshapes/tests/__init__.py": "empty",
    "javaqueue/pom.xml": "xml_header",
    "cvector/src/crc_table.c": "alpha_fraction",
    "pyshapes/shapes/icons.py": "max_line_length",
    "csledger/App.config": "xml_header",
    "csledger/Ledger/Ledger.Designer.cs": "autogenerated",
    "webapp/package-lock.json": "lock_file",
    "webapp/.eslintrc.json": "json_yaml_size",
    "webapp/dashboard.html": "html_visible_text",
    "webapp/vendor/chart.min.js": "minified",
    "webapp/vendor/polyfill.js": "minified",
    "webapp/feed.xml": "xml_header",
    "webapp/data/countries.json": "json_yaml_size",
    "gotools/go.mod": "unknown_language",
    "gotools/strutil/zz_generated.go": "autogenerated",
    "rustcalc/Cargo.toml": "unknown_language",
    "rustcalc/Cargo.lock": "unknown_language",
}


def differences(root: Path = ROOT) -> list[str]:
    """Files under `root` that are missing, changed or extra compared with `REPOS`."""
    problems = []
    for repo, files in sorted(REPOS.items()):
        on_disk = {p.relative_to(root / repo).as_posix() for p in (root / repo).rglob("*") if p.is_file()}
        for path in sorted(on_disk - set(files)):
            problems.append(f"extra file {repo}/{path}")
        for path, text in sorted(files.items()):
            target = root / repo / path
            if not target.is_file():
                problems.append(f"missing file {repo}/{path}")
            elif target.read_bytes() != text.encode("utf-8"):
                problems.append(f"changed file {repo}/{path}")
    return problems


def write(root: Path = ROOT) -> None:
    """Write every repository in `REPOS` under `root`, replacing files it manages."""
    for repo, files in sorted(REPOS.items()):
        for path, text in sorted(files.items()):
            target = root / repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--root", type=Path, default=ROOT, help="where the repositories go")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences(args.root)
        print("\n".join(problems) or "sample is up to date")
        return 1 if problems else 0
    write(args.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
