"""Says whether a pom sets the Java compiler level, so the buildpack can default it only when nothing does: old
poms that set none get maven-compiler-plugin's own default (1.5 in the plugin Maven 3.8 binds), which JDK 17 refuses.
Prints "set" (maven.compiler.source/target/release, or source/target/release in maven-compiler-plugin's
configuration), "parent" (a parent pom may set it: left alone), or "none". Reads the pom only; never runs Maven.

usage: python3 compiler-level.py POM_XML
"""
import sys
import xml.etree.ElementTree as ET

LEVEL_PROPERTIES = {"maven.compiler.source", "maven.compiler.target", "maven.compiler.release"}
LEVEL_OPTIONS = {"source", "target", "release"}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def level(pom: str) -> str:
    root = ET.parse(pom).getroot()
    children = {local(c.tag): c for c in root}
    for prop in children.get("properties", []):
        if local(prop.tag) in LEVEL_PROPERTIES:
            return "set"
    # maven-compiler-plugin configured anywhere (build, pluginManagement, profiles): its source/target/release.
    for plugin in root.iter():
        if local(plugin.tag) != "plugin":
            continue
        fields = {local(c.tag): c for c in plugin}
        artifact = fields.get("artifactId")
        if artifact is None or (artifact.text or "").strip() != "maven-compiler-plugin":
            continue
        for node in plugin.iter():
            if local(node.tag) in LEVEL_OPTIONS and node is not plugin:
                return "set"
    # Profiles may set the properties too.
    for node in root.iter():
        if local(node.tag) in LEVEL_PROPERTIES:
            return "set"
    return "parent" if "parent" in children else "none"


if __name__ == "__main__":
    try:
        print(level(sys.argv[1]))
    except ET.ParseError as err:
        print(f"pom.xml is not valid XML: {err}", file=sys.stderr)
        sys.exit(1)
