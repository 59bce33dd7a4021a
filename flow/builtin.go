package flow

// Words that mean "menu" and "back" in every playbook, matched against the
// whole message (normalised). Playbooks add their own under keywords.
// They hold in every language: a person may type "menu" in any of them.
var builtinMenu = []string{
	"menu", "main menu", "start again", "home", // en
	"menú", "inicio", "menú principal", // es
	"القائمة", "قائمة", "القائمة الرئيسية", // ar
	"accueil", // fr
}

var builtinBack = []string{
	"back", "go back", "previous", // en
	"atrás", "atras", "volver", "regresar", // es
	"رجوع", "عودة", "ارجع", // ar
	"retour", "précédent", // fr
}

// builtinMenuKeys and builtinBackKeys are the words as keys (keyOf), the
// form what people type is compared in: «القائمة» keys with ه for ة, and
// "précédent" without its accents.
var builtinMenuKeys, builtinBackKeys = wordKeys(builtinMenu), wordKeys(builtinBack)

func wordKeys(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = keyOf(w)
	}
	return out
}

// builtinMessages are the re-prompts a playbook gets without writing its
// own (under messages: retry and retry_text).
var builtinMessages = map[string]map[string]string{
	"retry": {
		"en": "Sorry, I did not understand. Please tap one of the options, or type its number.",
		"es": "Perdón, no entendí. Toque una de las opciones o escriba su número.",
		"ar": "عذرًا، لم أفهم. يرجى اختيار أحد الخيارات أو كتابة رقمه.",
		"fr": "Désolé, je n'ai pas compris. Touchez une des options ou tapez son numéro.",
	},
	"retry_text": {
		"en": "Sorry, I can only read a typed answer here. Please write your answer in a message.",
		"es": "Perdón, aquí solo puedo leer una respuesta escrita. Por favor, escriba su respuesta en un mensaje.",
		"ar": "عذرًا، يمكنني هنا قراءة الإجابات المكتوبة فقط. يرجى كتابة إجابتك في رسالة.",
		"fr": "Désolé, je ne peux lire ici qu'une réponse écrite. Merci d'écrire votre réponse dans un message.",
	},
	"hint": {
		"en": "You can also type MENU to start again, or BACK to go back.",
		"es": "También puede escribir MENÚ para empezar de nuevo, o ATRÁS para volver.",
		"ar": "يمكنك أيضًا كتابة «القائمة» للبدء من جديد، أو «رجوع» للعودة.",
		"fr": "Vous pouvez aussi taper MENU pour recommencer, ou RETOUR pour revenir.",
	},
}

func builtin(kind, lang string) string {
	m := builtinMessages[kind]
	if s, ok := m[lang]; ok {
		return s
	}
	return m["en"]
}
