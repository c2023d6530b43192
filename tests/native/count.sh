#!/usr/bin/env bash
# Counts the JUnit-style XML files in RESULTSDIR (gtest's and run.sh's own) and prints "PASSED FAILED":
# a test case is failed when it has a <failure> or <error>, passed otherwise (skipped ones count as failed: none
# should exist).
#   tests/native/count.sh RESULTSDIR
set -uo pipefail
dir=${1:?usage: count.sh RESULTSDIR}
total=0
failed=0
shopt -s nullglob
for f in "$dir"/*.xml; do
    # Flatten, then count <testcase ...> elements and those that contain a failure, error or skipped element.
    read -r t b < <(tr '\n' ' ' < "$f" | awk '{
        n = 0; bad = 0; s = $0
        while ((i = index(s, "<testcase ")) > 0) {
            s = substr(s, i + 10)
            j = index(s, ">")
            head = substr(s, 1, j)
            n++
            if (substr(head, length(head) - 1, 1) != "/") {
                k = index(s, "</testcase>")
                body = substr(s, j + 1, k - j - 1)
                if (body ~ /<(failure|error|skipped)/) bad++
            }
        }
        print n, bad
    }')
    total=$((total + t))
    failed=$((failed + b))
done
echo "$((total - failed)) $failed"
