"""Jenkins class names in XML: package aliases, XStream name escaping, owning plugins.

The same class appears under several spellings: ``wf.a.TimingAction`` (aliased, current),
``org.jenkinsci.plugins.workflow.actions.TimingAction`` (before the aliases existed), and inner
classes escaped as ``Outer_-Inner``. Readers normalise every spelling to the full Java name;
writers pick the spelling of the format they write. Which plugin owns a class decides the
``plugin="name@version"`` attribute, whose versions come from :class:`XmlFormat`.

Examples
--------
>>> full_class_name("wf.a.ErrorAction")
'org.jenkinsci.plugins.workflow.actions.ErrorAction'
>>> element_name("org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution$QueueItemActionImpl", True)
'org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution_-QueueItemActionImpl'
>>> element_name("org.jenkinsci.plugins.workflow.actions.LabelAction", True)
'wf.a.LabelAction'
>>> XmlFormat().plugin_attr("workflow-api", enclosing="workflow-support")
(('plugin', 'workflow-api@1398.v67030756d3fb_'),)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from lxml import etree

__all__ = [
    "XmlFormat",
    "ALIASES",
    "TAG_CLASS",
    "LEGACY_TAG",
    "full_class_name",
    "element_name",
    "decode_name",
    "owner_of",
    "DEFAULT_PLUGINS",
]

ALIASES: tuple[tuple[str, str], ...] = (
    ("cps.n.", "org.jenkinsci.plugins.workflow.cps.nodes."),
    ("wf.a.", "org.jenkinsci.plugins.workflow.actions."),
    ("s.a.", "org.jenkinsci.plugins.workflow.support.actions."),
    ("cps.a.", "org.jenkinsci.plugins.workflow.cps.actions."),
)
TAG_CLASS = "Tag"
LEGACY_TAG = "org.jenkinsci.plugins.workflow.support.storage.SimpleXStreamFlowNodeStorage_-Tag"

# Newest versions seen in real files (fixture inprogress-input-pause, 2025/26); configurable.
DEFAULT_PLUGINS: Mapping[str, str | None] = {
    "workflow-support": "1015.v785e5a_b_b_8b_22",
    "workflow-api": "1398.v67030756d3fb_",
    "workflow-cps": "4259.vf653c2b_8a_b_69",
    "workflow-step-api": "2.22",
    "workflow-durable-task-step": "2.35",
    "workflow-job": "1400.v7fd111b_ec82f",
    "pipeline-stage-step": "2.5",
}

# (package or class prefix, owning plugin); the longest matching prefix wins.
_OWNERS: tuple[tuple[str, str], ...] = (
    ("org.jenkinsci.plugins.workflow.actions.", "workflow-api"),
    ("org.jenkinsci.plugins.workflow.graph.", "workflow-api"),
    ("org.jenkinsci.plugins.workflow.flow.", "workflow-api"),
    ("org.jenkinsci.plugins.workflow.cps.", "workflow-cps"),
    ("org.jenkinsci.plugins.workflow.support.", "workflow-support"),
    ("org.jenkinsci.plugins.workflow.support.steps.ExecutorStep", "workflow-durable-task-step"),
    ("org.jenkinsci.plugins.workflow.support.steps.StageStep", "pipeline-stage-step"),
    ("org.jenkinsci.plugins.workflow.steps.", "workflow-step-api"),
    ("org.jenkinsci.plugins.workflow.job.", "workflow-job"),
)

_DECODE_RE = re.compile(r"_-|__")


@lru_cache(maxsize=4096)
def decode_name(name: str) -> str:
    """Undo XStream's name escaping (``_-`` is ``$``, ``__`` is ``_``), left to right."""
    if "_" not in name:
        return name
    return _DECODE_RE.sub(lambda m: "$" if m.group(0) == "_-" else "_", name)


@lru_cache(maxsize=4096)
def full_class_name(element: str) -> str:
    """The full Java class name behind an element name (aliases expanded, escaping undone)."""
    for alias, package in ALIASES:
        if element.startswith(alias):
            element = package + element[len(alias) :]
            break
    return decode_name(element)


@lru_cache(maxsize=4096)
def element_name(class_name: str, aliases: bool) -> str:
    """The element name XStream writes for a class (aliased when ``aliases``)."""
    name = class_name
    if aliases:
        for alias, package in ALIASES:
            if name.startswith(package):
                name = alias + name[len(package) :]
                break
    return name.replace("_", "__").replace("$", "_-")


@lru_cache(maxsize=1024)
def owner_of(class_name: str) -> str | None:
    """The plugin that owns a class, or None for Jenkins core and the JDK."""
    best: tuple[int, str] | None = None
    for prefix, plugin in _OWNERS:
        if class_name.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), plugin)
    return best[1] if best is not None else None


def _parent_tag(element: etree._Element) -> object:
    parent = element.getparent()
    return parent.tag if parent is not None else None


@dataclass(frozen=True)
class XmlFormat:
    """How to spell what we write: plugin versions, aliases, XML version.

    ``plugins`` maps a plugin short name to the version written in ``plugin=`` attributes; a
    plugin mapped to None gets no attribute (as in upstream test fixtures, where the plugin
    under test is not an installed plugin). ``aliases`` False writes the legacy full class names
    and the legacy ``Tag`` root, as workflow-support 2.14 did.
    """

    plugins: Mapping[str, str | None] = field(default_factory=lambda: dict(DEFAULT_PLUGINS))
    aliases: bool = True
    xml_version: str = "1.1"

    def version_of(self, plugin: str | None) -> str | None:
        if plugin is None:
            return None
        return self.plugins.get(plugin)

    def plugin_attr(self, plugin: str | None, *, enclosing: str | None) -> tuple[tuple[str, str], ...]:
        """The ``plugin`` attribute for an object owned by ``plugin`` inside one owned by ``enclosing``."""
        if plugin is None or plugin == enclosing:
            return ()
        version = self.plugins.get(plugin)
        return (("plugin", f"{plugin}@{version}"),) if version is not None else ()

    def effective_owner(self, plugin: str | None, enclosing: str | None) -> str | None:
        """The owner that nested objects compare against (XStream tracks the nearest owner)."""
        if plugin is not None and self.plugins.get(plugin) is not None:
            return plugin
        return enclosing

    def with_plugins(self, seen: Mapping[str, str | None]) -> XmlFormat:
        merged = dict(self.plugins)
        merged.update(seen)
        return replace(self, plugins=merged)

    @classmethod
    def learn(cls, root: etree._Element, base: XmlFormat | None = None) -> XmlFormat:
        """The format of an existing document: its XML version, spelling and plugin versions.

        Classes whose owner wrote no ``plugin`` attribute (a plugin under test) are recorded as
        None so that new nodes written next to them look the same.
        """
        base = base if base is not None else cls()
        seen: dict[str, str | None] = {}
        legacy = False
        tag_root = root
        if root.tag in ("linked-hash-map", "map"):
            first = root.find("entry/Tag")
            tag_root = first if first is not None else root
        elif root.tag == LEGACY_TAG:
            legacy = True
        for element in tag_root.iter(etree.Element):
            cls_name = element.get("class") or element.tag
            attr = element.get("plugin")
            if attr is not None and "@" in attr:
                name, _, version = attr.partition("@")
                seen[name] = version
            elif element is tag_root and tag_root.tag in (TAG_CLASS, LEGACY_TAG):
                seen.setdefault("workflow-support", None)
            elif element.tag == "node" or _parent_tag(element) == "actions":
                owner = owner_of(full_class_name(cls_name))
                if owner is not None and owner not in seen and owner != "workflow-support":
                    seen[owner] = None
        version = root.getroottree().docinfo.xml_version or base.xml_version
        return replace(base.with_plugins(seen), aliases=not legacy, xml_version=version)
