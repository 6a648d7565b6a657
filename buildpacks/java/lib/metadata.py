"""Prints the Java buildpack's metadata fragment: language, languageVersion (the JDK) and the pom's direct
dependencies (groupId:artifactId -> version, ${properties} resolved; "managed" when the version comes from
dependencyManagement or a parent).

usage: python3 metadata.py POM_XML JAVA_VERSION
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def main(pom: str, java_version: str) -> None:
    root = ET.parse(pom).getroot()
    ns = {"m": root.tag[1:].split("}")[0]} if root.tag.startswith("{") else {}
    p = "m:" if ns else ""

    def text(node, path, default=""):
        found = node.find(path, ns)
        return found.text.strip() if found is not None and found.text else default

    props = {}
    for prop in root.findall(f"{p}properties/*", ns):
        props[prop.tag.split("}")[-1]] = (prop.text or "").strip()
    props["project.version"] = text(root, f"{p}version") or text(root, f"{p}parent/{p}version")

    def resolve(value: str) -> str:
        return re.sub(r"\$\{([^}]+)\}", lambda m: props.get(m.group(1), m.group(0)), value)

    deps = {}
    for dep in root.findall(f"{p}dependencies/{p}dependency", ns):
        name = f"{text(dep, f'{p}groupId')}:{text(dep, f'{p}artifactId')}"
        deps[name] = resolve(text(dep, f"{p}version", "managed"))
    print(json.dumps({"language": "java", "languageVersion": java_version, "dependencies": deps}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
