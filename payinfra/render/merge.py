"""One secondary template for every secondary region: merge the per-region renders into one.

Each secondary region is rendered on its own (the partials see one region at a time), then the
renders are compared node by node on the parsed YAML (PyYAML's composer keeps every node's place
in the text and does not evaluate the short-form tags). The first render is kept as text, comments
and layout included; only the values that differ are rewritten in it, to
`!FindInMap [SecondaryRegions, !Ref "AWS::Region", <Key>]`, with each region's value in a
`Mappings` section. CloudFormation resolves `AWS::Region` to the region the stack is deployed in,
so every secondary's stack reads its own value.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/mappings-section-structure.html

What cannot be mapped is refused with the path and both values: a difference in structure (a
resource, key or list item that one region has and another has not), in a key, inside an
intrinsic function, or where CloudFormation takes no intrinsic (descriptions, metadata, types).
Parameter defaults may differ: samconfig passes every parameter for each region's config env, so
the template keeps the first region's default and says so in a comment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import yaml

MAPPING_NAME = "SecondaryRegions"
# CloudFormation quotas: 200 attributes per mapping, names of at most 255 characters.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
MAX_MAPPING_ATTRIBUTES = 200
MAX_ATTRIBUTE_NAME = 255
# Long-form intrinsic keys: a difference below one of them is a difference inside an intrinsic.
_INTRINSIC_KEYS = re.compile(r"^(Fn::\w+|Ref|Condition)$")
# Sections whose values CloudFormation evaluates (Fn::FindInMap is allowed there).
_MAPPABLE = {"Resources", "Outputs", "Globals"}
# Keys that CloudFormation reads as literals, wherever they sit under a resource or an output.
_LITERAL_KEYS = {"Type", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata",
                 "Description", "Export"}
Path = tuple[str | int, ...]


class MergeError(ValueError):
    """The secondaries' renders differ where one template cannot serve them all."""


@dataclass
class _Mapped:
    """One value that differs between regions, and the mapping attribute that holds it."""

    key: str
    values: tuple[str | tuple[str, ...], ...]  # one per region, in region order


@dataclass
class _Merge:
    regions: tuple[str, ...]
    texts: tuple[str, ...]
    edits: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, new text)
    mapped: dict[tuple[str | tuple[str, ...], ...], _Mapped] = field(default_factory=dict)
    defaults_kept: list[int] = field(default_factory=list)  # where a kept Default's line ends

    # -- walking ---------------------------------------------------------------------------------
    def walk(self, nodes: Sequence[yaml.Node], path: Path, intrinsic: bool, key_end: int | None) -> None:
        first = nodes[0]
        if any(type(n) is not type(first) for n in nodes) or len({n.tag for n in nodes}) > 1:
            self.refuse(path, nodes, "the kind of value")
        inside = intrinsic or first.tag.startswith("!")
        if isinstance(first, yaml.MappingNode):
            self.walk_mapping(nodes, path, inside)
        elif isinstance(first, yaml.SequenceNode):
            self.walk_sequence(nodes, path, inside, key_end)
        elif len({n.value for n in nodes}) > 1:
            if first.tag == "!Sub" and not intrinsic:
                self.substitute(nodes, path)
            else:
                self.replace(nodes, path, inside, key_end)

    def walk_mapping(self, nodes: Sequence[yaml.Node], path: Path, intrinsic: bool) -> None:
        keys = [[k.value for k, _ in n.value] for n in nodes]
        for i, region_keys in enumerate(keys[1:], start=1):
            if region_keys != keys[0]:
                missing = sorted(set(keys[0]) ^ set(region_keys)) or ["(their order)"]
                raise MergeError(
                    f"{_show(path)}: secondaries must agree on its keys: {self.regions[0]} and "
                    f"{self.regions[i]} differ on {', '.join(map(str, missing))}: set it in [defaults]"
                )
        for index, key in enumerate(keys[0]):
            values = [n.value[index][1] for n in nodes]
            inside = intrinsic or bool(_INTRINSIC_KEYS.match(key))
            self.walk(values, (*path, key), inside, nodes[0].value[index][0].end_mark.index)

    def walk_sequence(
        self, nodes: Sequence[yaml.Node], path: Path, intrinsic: bool, key_end: int | None
    ) -> None:
        items = [item for n in nodes for item in n.value]
        plain = all(isinstance(item, yaml.ScalarNode) and not item.tag.startswith("!") for item in items)
        if plain and not intrinsic:
            lists = [tuple(item.value for item in n.value) for n in nodes]
            if len(set(lists)) > 1:
                self.replace(nodes, path, intrinsic, key_end)
            return
        lengths = {len(n.value) for n in nodes}
        if len(lengths) > 1:
            self.refuse(path, nodes, "the number of list items")
        for index in range(lengths.pop()):
            self.walk([n.value[index] for n in nodes], (*path, index), intrinsic, None)

    # -- rewriting -------------------------------------------------------------------------------
    def replace(self, nodes: Sequence[yaml.Node], path: Path, intrinsic: bool, key_end: int | None) -> None:
        if intrinsic:
            self.refuse(path, nodes, "a value inside an intrinsic function")
        if _is_parameter_default(path):
            end = self.texts[0].find("\n", nodes[0].end_mark.index)
            self.defaults_kept.append(len(self.texts[0]) if end < 0 else end)
            return
        if not _mappable(path):
            self.refuse(path, nodes, "a value CloudFormation reads literally")
        key = self.lookup_key(path, tuple(_value(n) for n in nodes))
        lookup = f'!FindInMap [{MAPPING_NAME}, !Ref "AWS::Region", {key}]'
        node = nodes[0]
        start, end = node.start_mark.index, node.end_mark.index
        if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
            end = node.value[-1].end_mark.index  # a block list ends at the next token, past comments
        if key_end is not None:  # a mapping value: rewrite from the key's colon (block lists included)
            start, lookup = key_end, f": {lookup}"
        tail = self.texts[0][start:end]
        trailing = tail[len(tail.rstrip()):]  # a block scalar or list ends with its line break
        self.edits.append((start, end, lookup + trailing))

    def substitute(self, nodes: Sequence[yaml.Node], path: Path) -> None:
        """`!Sub "...:iam::111:root"` that differs in one word: the word becomes a Sub variable
        read from the mapping, `!Sub ["...:iam::${Key}:root", {Key: !FindInMap [...]}]`."""
        strings = [str(n.value) for n in nodes]
        head = len(_common_prefix(strings))
        tail = len(_common_prefix([s[::-1] for s in strings]))
        while head > 0 and all(s[head - 1].isalnum() for s in strings):  # whole words only
            head -= 1
        while tail > 0 and all(s[len(s) - tail].isalnum() for s in strings):
            tail -= 1
        middles = tuple(s[head : len(s) - tail] for s in strings)
        if head + tail > min(map(len, strings)) or any("$" in m or "{" in m or "}" in m for m in middles):
            self.refuse(path, nodes, "a value inside an intrinsic function")
        if not _mappable(path):
            self.refuse(path, nodes, "a value CloudFormation reads literally")
        key = self.lookup_key(path, middles)
        template = strings[0][:head] + "${" + key + "}" + strings[0][len(strings[0]) - tail :]
        lookup = f'!FindInMap [{MAPPING_NAME}, !Ref "AWS::Region", {key}]'
        node, rewritten = nodes[0], f"!Sub [{json.dumps(template)}, {{{key}: {lookup}}}]"
        self.edits.append((node.start_mark.index, node.end_mark.index, rewritten))

    def lookup_key(self, path: Path, values: tuple[str | tuple[str, ...], ...]) -> str:
        """The mapping attribute holding `values` (one per region): shared by equal values."""
        mapped = self.mapped.get(values)
        if mapped is None:
            mapped = _Mapped(self.attribute_name(path), values)
            self.mapped[values] = mapped
        return mapped.key

    def attribute_name(self, path: Path) -> str:
        """`VpcCidrBlock` for Resources.Vpc.Properties.CidrBlock: the logical ID and the last key."""
        words = [str(p) for p in path if isinstance(p, str)]
        name = _alphanumeric(words[1] + words[-1]) if len(words) > 2 else _alphanumeric("".join(words))
        taken = {m.key for m in self.mapped.values()}
        candidate, number = name, 2
        while candidate in taken:
            candidate, number = f"{name}{number}", number + 1
        return candidate[:MAX_ATTRIBUTE_NAME]

    def refuse(self, path: Path, nodes: Sequence[yaml.Node], what: str) -> None:
        for i, node in enumerate(nodes[1:], start=1):
            a, b = self.source(0, nodes[0]), self.source(i, node)
            if a != b:
                raise MergeError(
                    f"{_show(path)}: secondaries must agree on {what}: {self.regions[0]} has {a}, "
                    f"{self.regions[i]} has {b}: set it in [defaults]"
                )
        raise MergeError(f"{_show(path)}: secondaries must agree on {what}: set it in [defaults]")

    def source(self, region: int, node: yaml.Node) -> str:
        text = self.texts[region][node.start_mark.index : node.end_mark.index].strip()
        return repr(text if len(text) <= 120 else text[:117] + "...")

    # -- output ----------------------------------------------------------------------------------
    def result(self, document: yaml.MappingNode) -> str:
        if len(self.mapped) > MAX_MAPPING_ATTRIBUTES:
            raise MergeError(
                f"{len(self.mapped)} values differ between secondaries; a CloudFormation mapping holds "
                f"at most {MAX_MAPPING_ATTRIBUTES}: set more of them in [defaults]"
            )
        edits = list(self.edits)
        note = f"  # {self.regions[0]}'s: each region's samconfig env passes its own value"
        edits += [(at, at, note) for at in self.defaults_kept]
        if self.mapped:
            edits.append((self.section_start(document), self.section_start(document), self.mappings()))
        text = self.texts[0]
        for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
            text = text[:start] + new + text[end:]
        return text

    def section_start(self, document: yaml.MappingNode) -> int:
        """Where `Mappings` goes: at the start of the line of the first section that follows it."""
        for key, _ in document.value:
            if key.value in ("Conditions", "Globals", "Resources"):
                return int(key.start_mark.index - key.start_mark.column)
        return len(self.texts[0])

    def mappings(self) -> str:
        lines = [
            "# The values that differ between the secondary regions this template serves: each",
            f'# region\'s stack reads its own with !FindInMap [{MAPPING_NAME}, !Ref "AWS::Region", <Key>].',
            "# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/mappings-section-structure.html",
            "Mappings:",
            f"  {MAPPING_NAME}:",
        ]
        for i, region in enumerate(self.regions):
            lines.append(f"    {region}:")
            lines += [f"      {m.key}: {_flow(m.values[i])}" for m in self.mapped.values()]
        return "\n".join(lines) + "\n\n"


def merge_renders(renders: Mapping[str, str], source: str = "template") -> str:
    """One template serving every region of `renders` (region name -> its render), in order."""
    regions, texts = tuple(renders), tuple(renders.values())
    if len(texts) == 1:
        return texts[0]
    _same_comments(regions, texts, source)
    documents = [yaml.compose(text, Loader=yaml.SafeLoader) for text in texts]
    merge = _Merge(regions, texts)
    try:
        merge.walk(documents, (), False, None)
    except MergeError as err:
        raise MergeError(f"{source}: {err}") from None
    return merge.result(documents[0])


def _same_comments(regions: tuple[str, ...], texts: tuple[str, ...], source: str) -> None:
    """Whole-line comments are kept from the first region: they must not name one region."""
    comments = [_comments(text) for text in texts]
    for i, lines in enumerate(comments[1:], start=1):
        for a, b in zip(comments[0], lines, strict=False):
            if a != b:
                raise MergeError(
                    f"{source}: a comment differs between {regions[0]} ({a!r}) and {regions[i]} ({b!r}): "
                    "make it region-neutral"
                )
        if len(lines) != len(comments[0]):
            raise MergeError(f"{source}: {regions[0]} and {regions[i]} render a different number of comments")


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.lstrip().startswith("#")]


def _common_prefix(strings: Sequence[str]) -> str:
    first = strings[0]
    for i, char in enumerate(first):
        if any(i >= len(s) or s[i] != char for s in strings[1:]):
            return first[:i]
    return first


def _is_parameter_default(path: Path) -> bool:
    return len(path) == 3 and path[0] == "Parameters" and path[2] == "Default"


def _mappable(path: Path) -> bool:
    if not path or path[0] not in _MAPPABLE:
        return False
    if path[0] in ("Resources", "Outputs"):
        # Resources.<Id>.Properties... or Outputs.<Id>.Value...; never a literal key at that level.
        return len(path) > 2 and path[2] not in _LITERAL_KEYS
    return True


def _value(node: yaml.Node) -> str | tuple[str, ...]:
    if isinstance(node, yaml.SequenceNode):
        return tuple(str(item.value) for item in node.value)
    return str(node.value)


def _flow(value: str | tuple[str, ...]) -> str:
    """A mapping value as YAML: a quoted string, or a flow list of quoted strings."""
    if isinstance(value, tuple):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    return json.dumps(value)


def _alphanumeric(text: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", text)
    return "".join(w[:1].upper() + w[1:] for w in words if w) or "Value"


def _show(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the document)"
