#!/usr/bin/env bash
# Makes the spoken versions of the welcome messages, for people who cannot
# read, with a speech synthesiser. They are stand-ins: a line should record
# its own with a human voice, in the dialect its community speaks, and
# replace these files (same names, Ogg/Opus, under WhatsApp's 16 MB).
#
# Needs Debian's espeak-ng and opus-tools:  apt-get install espeak-ng opus-tools
# Run from this folder:                      bash make-audio.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() { # file voice text
  espeak-ng -v "$2" -s 150 -w "$tmp/out.wav" "$3"
  opusenc --quiet --bitrate 24 --downmix-mono "$tmp/out.wav" "$1"
}

say welcome-en.ogg en "Welcome to the refugee information line. The information here is free. We will never ask you for money. Type MENU at any time to come back to the main menu, or BACK to go back one step."
say welcome-es.ogg es "Bienvenido a la línea de información para personas refugiadas. La información es gratuita. Nunca le pediremos dinero. Escriba MENÚ en cualquier momento para volver al menú principal, o ATRÁS para volver un paso."
say welcome-ar.ogg ar "مرحبًا بك في خط المعلومات الخاص باللاجئين. المعلومات هنا مجانية. لن نطلب منك المال أبدًا. اكتب القائمة في أي وقت للعودة إلى القائمة الرئيسية، أو رجوع للعودة خطوة واحدة."
say welcome-canada-en.ogg en "Welcome to the refugee information line for Ottawa, Toronto and Montreal. The information here is free. We will never ask you for money. Type MENU at any time to come back to the main menu, or BACK to go back one step."
say settlement-welcome-en.ogg en "Welcome! This is the settlement information line for newcomers. You can write in Arabic or English. Type MENU at any time to see the topics."
say settlement-welcome-ar.ogg ar "أهلًا وسهلًا! هذا خط معلومات الاستقرار للقادمين الجدد. يمكنك الكتابة بالعربية أو بالإنجليزية. اكتب القائمة في أي وقت لرؤية المواضيع."
