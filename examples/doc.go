// Package examples holds the content the example lines start from: the
// playbooks under playbooks/ and the privacy notices under notices/. They
// are plain YAML files that an organisation edits, translates and remixes;
// this package embeds a copy so that a binary built from the examples runs
// anywhere, and the examples read the files on disk instead when they are
// run from the repository, so that an edit needs no rebuild.
package examples
