package triage_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/triage"
)

// flowStub stands for a flow runner: it answers and records.
type flowStub struct {
	mu  sync.Mutex
	got []string
}

func (f *flowStub) Handle(ctx context.Context, r chat.Replier, m *chat.Message) error {
	f.mu.Lock()
	f.got = append(f.got, m.ID)
	f.mu.Unlock()
	_, err := r.Reply(ctx, chat.Text{Body: "flow step"})
	return err
}

type classifierFunc func(ctx context.Context, m *chat.Message) ([]triage.Signal, error)

func (f classifierFunc) Classify(ctx context.Context, m *chat.Message) ([]triage.Signal, error) {
	return f(ctx, m)
}

func newRouter(t testing.TB, f *fixture, flow chat.Handler, c triage.Classifier, observe triage.Observer) *triage.Router {
	t.Helper()
	rt, err := triage.NewRouter(triage.RouterConfig{
		Queue:      f.queue,
		Replies:    testReplies,
		Classifier: c,
		Contacts:   f.store.Contacts(),
		Observe:    observe,
		Language: func(_ context.Context, m *chat.Message) string {
			if strings.HasSuffix(m.From.Contact, "71") {
				return "es"
			}
			return ""
		},
		Routes: []triage.Route{
			{Name: "menu", When: triage.Command("menu", "0"), Then: triage.Handle(flow)},
			{Name: "office", When: triage.Keyword("office", "bureau", "oficina"), Then: triage.Answer(map[string]string{
				"en": "Our office is at Av. Amazonas 123, open 9 to 5.",
				"es": "Nuestra oficina está en la Av. Amazonas 123.",
			})},
			{Name: "legal", When: triage.Choice("legal_aid"), Then: triage.Human("legal", triage.Routine)},
			{Name: "location", When: triage.KindIs(chat.KindLocation), Then: triage.Human(triage.QueueGeneral, triage.Elevated)},
			{Name: "code", When: triage.Regexp(regexp.MustCompile(`^[A-Z]{3}-\d{4}$`)), Then: triage.Answer(map[string]string{"en": "Your case code is noted."})},
			{Name: "quito", When: triage.Field("city", "quito"), Then: triage.Handle(flow)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func TestRouterRoutesInOrder(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, friday10)
	flow := &flowStub{}
	var mu sync.Mutex
	var paths []triage.Path
	rt := newRouter(t, f, flow, nil, func(_ context.Context, _ *chat.Message, d triage.Decision) {
		mu.Lock()
		paths = append(paths, d.Path)
		mu.Unlock()
	})
	tests := []struct {
		name  string
		who   string
		m     chat.Message
		reply string
		path  triage.Path
	}{
		{"command", "70", chat.Message{Kind: chat.KindText, Text: " MENU! "}, "flow step", triage.PathHandler},
		{"keyword in the person's language", "71", chat.Message{Kind: chat.KindText, Text: "¿Dónde está la oficina?"}, "Nuestra oficina", triage.PathAnswer},
		{"regexp", "72", chat.Message{Kind: chat.KindText, Text: "ABC-1234"}, "case code", triage.PathAnswer},
		{"choice to a human queue", "73", chat.Message{Kind: chat.KindChoice, Choice: "legal_aid", Text: "Legal aid"}, "staff member will read", triage.PathQueued},
		{"no route: a person", "74", chat.Message{Kind: chat.KindText, Text: "my cousin needs papers"}, "staff member will read", triage.PathQueued},
	}
	for _, tt := range tests {
		m := tt.m
		m.ID, m.From = "wamid."+tt.who, person(tt.who)
		if err := rt.Handle(ctx, f.phone.replier(m.From), &m); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		r := f.phone.take()
		if len(r) != 1 || !strings.Contains(r[0].Body, tt.reply) {
			t.Errorf("%s: replies %+v, want %q", tt.name, r, tt.reply)
		}
		mu.Lock()
		if len(paths) == 0 || paths[len(paths)-1] != tt.path {
			t.Errorf("%s: paths %v, want %s last", tt.name, paths, tt.path)
		}
		mu.Unlock()
	}
	it, err := f.queue.Active(ctx, ref(person("73")))
	if err != nil || it.Ticket.Queue != "legal" {
		t.Errorf("legal aid ticket %+v %v", it, err)
	}
}

func TestRouterFieldCondition(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, friday10)
	flow := &flowStub{}
	rt := newRouter(t, f, flow, nil, nil)
	who := person("75")
	c, err := f.store.Contacts().Touch(ctx, ref(who), friday10)
	if err != nil {
		t.Fatal(err)
	}
	c.Fields = map[string]string{"city": "quito"}
	if _, err := f.store.Contacts().Update(ctx, c, friday10); err != nil {
		t.Fatal(err)
	}
	m := &chat.Message{ID: "wamid.75", From: who, Kind: chat.KindText, Text: "hola"}
	if err := rt.Handle(ctx, f.phone.replier(who), m); err != nil {
		t.Fatal(err)
	}
	if len(flow.got) != 1 {
		t.Errorf("the contact-field route did not hand the message to the flow")
	}
}

func TestClassifierOnlyRaises(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for _, tc := range []struct {
		name     string
		screen   triage.Decision
		signals  []triage.Signal
		err      error
		wantPath triage.Path
		wantPri  triage.Priority
	}{
		{"raises to urgent", triage.Decision{}, []triage.Signal{{Category: triage.Violence, Priority: triage.Urgent, RuleID: "nlu/v3", Confidence: 0.9}}, nil, triage.PathSafety, triage.Urgent},
		{"low confidence ignored", triage.Decision{}, []triage.Signal{{Category: triage.Violence, Priority: triage.Urgent, RuleID: "nlu/v3", Confidence: 0.2}}, nil, triage.PathAnswer, triage.Routine},
		{"cannot lower", triage.Decision{Priority: triage.Elevated, Category: triage.HumanRequest, HumanRequired: true}, []triage.Signal{{Category: "chit_chat", Priority: triage.Routine, RuleID: "nlu/v3", Confidence: 1}}, nil, triage.PathQueued, triage.Elevated},
		{"failure fails up", triage.Decision{}, nil, errors.New("timeout"), triage.PathQueued, triage.Elevated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, friday10)
			var got triage.Decision
			rt := newRouter(t, f, &flowStub{}, classifierFunc(func(context.Context, *chat.Message) ([]triage.Signal, error) {
				return tc.signals, tc.err
			}), func(_ context.Context, _ *chat.Message, d triage.Decision) { got = d })
			who := person("80")
			m := &chat.Message{ID: "wamid.80", From: who, Kind: chat.KindText, Text: "where is the office"}
			if err := rt.Handle(triage.WithDecision(ctx, tc.screen), f.phone.replier(who), m); err != nil {
				t.Fatal(err)
			}
			if got.Path != tc.wantPath || got.Priority != tc.wantPri {
				t.Errorf("decision %+v, want path %s priority %s", got, tc.wantPath, tc.wantPri)
			}
		})
	}
}

func TestRouterRejectsBadRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, friday10)
	for _, routes := range [][]triage.Route{
		{{Name: "no condition", Then: triage.Answer(map[string]string{"en": "x"})}},
		{{Name: "no action", When: triage.Always()}},
		{{Name: "no default text", When: triage.Always(), Then: triage.Answer(map[string]string{"fr": "x"})}},
	} {
		if _, err := triage.NewRouter(triage.RouterConfig{Queue: f.queue, Replies: testReplies, Routes: routes}); err == nil {
			t.Errorf("NewRouter accepted %s", routes[0].Name)
		}
	}
}
