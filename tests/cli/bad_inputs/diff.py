"""Bad inputs of diff (its sides' packs, weights and rules trees, its --batch file, options that
contradict each other) and of pinning (--require-kb and $MSCADVISOR_REQUIRE_KB)."""

from __future__ import annotations

from mscadvisor.errors import EXIT_KNOWLEDGE_BASE, EXIT_KNOWLEDGE_MISMATCH, EXIT_USAGE
from tests.cli.bad_inputs import BadInput
from tests.cli.bad_inputs.reading import fifo, text_file, weights

OTHER_KB = "0123456789abcdef"
NOT_THE_KB = "the knowledge state is"

CASES: list[BadInput] = [
    BadInput(
        "diff-weights-twice",
        "{m} --weights w.toml diff --new-weights w.toml",
        EXIT_USAGE,
        "--weights and --new-weights both name the new side's weights",
        weights('[rules]\n"EV-SRC-ANIMAL" = 0.5\n'),
    ),
    BadInput(
        "diff-batch-and-profile-flags",
        "{m} diff --batch rows.jsonl -d POF",
        EXIT_USAGE,
        "--batch gives the profiles",
        text_file("rows.jsonl", '{"disease": "POF"}\n'),
    ),
    BadInput(
        "diff-batch-missing",
        "{m} diff --batch rows.jsonl",
        EXIT_USAGE,
        "--batch rows.jsonl: no such file",
    ),
    BadInput(
        "diff-batch-fifo",
        "{m} diff --batch rows.jsonl",
        EXIT_USAGE,
        "--batch rows.jsonl: is a pipe or FIFO, not a file",
        fifo("rows.jsonl"),
    ),
    BadInput(
        "diff-batch-bad-row",
        "{m} diff --batch rows.jsonl",
        EXIT_USAGE,
        "--batch rows.jsonl: line 2: invalid JSON at column 1",
        text_file("rows.jsonl", '{"disease": "POF"}\nnot json\n'),
    ),
    BadInput(
        "diff-batch-unknown-disease",
        "{m} diff --batch rows.jsonl",
        EXIT_USAGE,
        "--batch rows.jsonl: line 1: unknown disease 'NOPE'",
        text_file("rows.jsonl", '{"disease": "NOPE"}\n'),
    ),
    BadInput(
        "diff-batch-bad-csv-header",
        "{m} diff --batch rows.csv",
        EXIT_USAGE,
        "--batch rows.csv: line 1: unknown CSV column(s) 'illness'",
        text_file("rows.csv", "illness\nPOF\n"),
    ),
    BadInput(
        "diff-batch-empty",
        "{m} diff --batch rows.jsonl",
        EXIT_USAGE,
        "--batch rows.jsonl: no profiles in the file",
        text_file("rows.jsonl", "\n"),
    ),
    BadInput(
        "diff-old-weights-missing",
        "{m} diff --old-weights nope.toml",
        EXIT_USAGE,
        "weights nope.toml: no such file",
    ),
    BadInput(
        "diff-new-weights-unknown-rule",
        "{m} diff --new-weights w.toml",
        EXIT_USAGE,
        "weights w.toml: [rules] 'NO-SUCH-RULE' does not exist",
        weights('[rules]\n"NO-SUCH-RULE" = 2\n'),
    ),
    BadInput(
        "diff-old-base-missing",
        "{m} diff --old-base nowhere",
        EXIT_KNOWLEDGE_BASE,
        "nowhere: rules folder does not exist",
    ),
    BadInput(
        "diff-new-rules-missing",
        "{m} diff --new-rules nowhere",
        EXIT_KNOWLEDGE_BASE,
        "nowhere: rules folder does not exist",
    ),
    BadInput(
        "require-kb-other-knowledge",
        f"{{m}} --require-kb {OTHER_KB} recommend -d POF -f json",
        EXIT_KNOWLEDGE_MISMATCH,
        f"--require-kb {OTHER_KB}: {NOT_THE_KB}",
    ),
    BadInput(
        "require-kb-env-other-knowledge",
        "{m} explain -d POF -c UC-cells",
        EXIT_KNOWLEDGE_MISMATCH,
        f"MSCADVISOR_REQUIRE_KB {OTHER_KB}: {NOT_THE_KB}",
        env={"MSCADVISOR_REQUIRE_KB": OTHER_KB},
    ),
    BadInput(
        "require-kb-batch-writes-nothing",
        f"{{m}} --require-kb {OTHER_KB} batch rows.jsonl -o out.jsonl",
        EXIT_KNOWLEDGE_MISMATCH,
        NOT_THE_KB,
        text_file("rows.jsonl", '{"disease": "POF"}\n'),
    ),
    BadInput(
        "require-kb-too-short",
        "{m} --require-kb abc recommend -d POF",
        EXIT_USAGE,
        "--require-kb 'abc': expected 8 to 64 hex digits",
    ),
    BadInput(
        "require-kb-not-hex",
        "{m} --require-kb sha256:0123456789 recommend -d POF",
        EXIT_USAGE,
        "--require-kb 'sha256:0123456789': expected 8 to 64 hex digits",
    ),
    BadInput(
        "require-kb-env-not-hex",
        "{m} recommend -d POF",
        EXIT_USAGE,
        "MSCADVISOR_REQUIRE_KB 'yes': expected 8 to 64 hex digits",
        env={"MSCADVISOR_REQUIRE_KB": "yes"},
    ),
]
