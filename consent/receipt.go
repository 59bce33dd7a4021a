package consent

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Controller is the organisation responsible for the data, as named in
// Kantara receipts.
type Controller struct {
	Name         string // e.g. "UNHCR Greece"
	OnBehalf     bool   // acting on behalf of another controller
	Contact      string // the data protection officer or team
	Address      string
	Email        string
	Phone        string
	URL          string
	Jurisdiction string // e.g. "GR; UNHCR General Policy on Personal Data Protection and Privacy"
	Service      string // the service's name, e.g. "WhatsApp helpline"
}

// KantaraVersion is the consent receipt specification receipts follow.
const KantaraVersion = "KI-CR-v1.1.0"

// KantaraReceipt is a consent receipt shaped like the Kantara Initiative
// Consent Receipt Specification v1.1, for the organisation's records. The
// person is named by the store's keyed hash, never by their number.
type KantaraReceipt struct {
	Version          string              `json:"version"`
	Jurisdiction     string              `json:"jurisdiction"`
	ConsentTimestamp int64               `json:"consentTimestamp"`
	CollectionMethod string              `json:"collectionMethod"`
	ConsentReceiptID string              `json:"consentReceiptID"`
	Language         string              `json:"language,omitempty"`
	PIIPrincipalID   string              `json:"piiPrincipalId"`
	PIIControllers   []KantaraController `json:"piiControllers"`
	PolicyURL        string              `json:"policyUrl"`
	Services         []KantaraService    `json:"services"`
	Sensitive        bool                `json:"sensitive"`
	SPICat           []string            `json:"spiCat"`
	// NoticeVersion and NoticeHash name exactly what the person was shown
	// (an extension of the specification).
	NoticeVersion string `json:"noticeVersion"`
	NoticeHash    string `json:"noticeHash"`
}

// KantaraController is one entry of piiControllers.
type KantaraController struct {
	PIIController string `json:"piiController"`
	OnBehalf      bool   `json:"onBehalf"`
	Contact       string `json:"contact"`
	Address       string `json:"address"`
	Email         string `json:"email"`
	Phone         string `json:"phone"`
	URL           string `json:"piiControllerUrl,omitempty"`
}

// KantaraService is one entry of services.
type KantaraService struct {
	Service  string           `json:"service"`
	Purposes []KantaraPurpose `json:"purposes"`
}

// KantaraPurpose is one purpose of a service.
type KantaraPurpose struct {
	Purpose              string   `json:"purpose"`
	ConsentType          string   `json:"consentType"`
	PurposeCategory      []string `json:"purposeCategory"`
	PIICategory          []string `json:"piiCategory"`
	PrimaryPurpose       bool     `json:"primaryPurpose"`
	Termination          string   `json:"termination"`
	ThirdPartyDisclosure bool     `json:"thirdPartyDisclosure"`
	ThirdPartyName       string   `json:"thirdPartyName,omitempty"`
	LegalBasis           string   `json:"legalBasis,omitempty"` // extension: the basis relied on
}

var purposeCategories = map[chat.Purpose]string{
	chat.PurposeCore:     "1 - Core Function",
	chat.PurposeFollowUp: "4 - Contact Requested",
	chat.PurposeFeedback: "16 - Improve Performance",
	chat.PurposeResearch: "16 - Improve Performance",
	chat.PurposeReferral: "10 - 3rd-party Sharing for Core Function",
}

// lastGrant returns the latest event that granted or reconfirmed the core
// purpose.
func lastGrant(h []storage.ConsentEvent) (storage.ConsentEvent, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		t := EventType(h[i].Type)
		if (t == EventGranted || t == EventReconfirmed) && slices.Contains(h[i].Purposes, string(chat.PurposeCore)) {
			return h[i], true
		}
	}
	return storage.ConsentEvent{}, false
}

// grantedSinceErasure reports whether the person agreed (core purpose)
// after their last erasure, if any: a grant from before an erasure belongs
// to data that is gone, and does not make what a returning person left
// since worth keeping.
func grantedSinceErasure(h []storage.ConsentEvent) bool {
	for i := len(h) - 1; i >= 0; i-- {
		t := EventType(h[i].Type)
		if t == EventErased {
			return false
		}
		if (t == EventGranted || t == EventReconfirmed) && slices.Contains(h[i].Purposes, string(chat.PurposeCore)) {
			return true
		}
	}
	return false
}

// Receipt returns the Kantara-shaped receipt of the person's current
// consent. ErrNoGrant when the core purpose is not granted.
func (s *Service) Receipt(ctx context.Context, ref storage.ContactRef) (*KantaraReceipt, error) {
	st, found, err := s.State(ctx, ref)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if ok, _ := s.Allowed(st, found, chat.PurposeCore, now); !ok {
		return nil, fmt.Errorf("consent: receipt: %w", ErrNoGrant)
	}
	h, err := s.History(ctx, ref)
	if err != nil {
		return nil, err
	}
	g, ok := lastGrant(h)
	if !ok {
		return nil, fmt.Errorf("consent: receipt: %w", ErrNoGrant)
	}
	n := s.notices.Load().Get(g.Language)
	c := s.controller
	r := &KantaraReceipt{
		Version: KantaraVersion, Jurisdiction: c.Jurisdiction, ConsentTimestamp: g.OccurredAt.Unix(),
		CollectionMethod: g.Method, ConsentReceiptID: g.ID, Language: g.Language, PIIPrincipalID: st.Subject,
		PIIControllers: []KantaraController{{PIIController: c.Name, OnBehalf: c.OnBehalf, Contact: c.Contact, Address: c.Address, Email: c.Email, Phone: c.Phone, URL: c.URL}},
		PolicyURL:      n.PolicyURL, SPICat: []string{}, NoticeVersion: g.Notice, NoticeHash: g.Hash,
	}
	svc := KantaraService{Service: c.Service}
	if svc.Service == "" {
		svc.Service = c.Name
	}
	for _, p := range allPurposes(st, n) {
		if ok, _ := s.Allowed(st, true, p, now); !ok {
			continue
		}
		t, _ := n.Terms(p)
		kp := KantaraPurpose{
			Purpose: t.Description, ConsentType: "EXPLICIT", PIICategory: nonNil(t.PIICategories),
			PrimaryPurpose: p == chat.PurposeCore, Termination: termination(t), LegalBasis: st.Purposes[string(p)].Basis,
		}
		if kp.Purpose == "" {
			kp.Purpose = string(p)
		}
		if cat, ok := purposeCategories[p]; ok {
			kp.PurposeCategory = []string{cat}
		} else {
			kp.PurposeCategory = []string{}
		}
		if len(t.Recipients) > 0 {
			kp.ThirdPartyDisclosure = true
			kp.ThirdPartyName = joinNames(t.Recipients)
		}
		if t.Sensitive {
			r.Sensitive = true
			for _, c := range t.SensitiveCategories {
				if !slices.Contains(r.SPICat, c) {
					r.SPICat = append(r.SPICat, c)
				}
			}
		}
		svc.Purposes = append(svc.Purposes, kp)
	}
	r.Services = []KantaraService{svc}
	return r, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func joinNames(ns []string) string {
	out := ""
	for i, n := range ns {
		if i > 0 {
			out += "; "
		}
		out += n
	}
	return out
}

func termination(t PurposeTerms) string {
	if t.ConsentTTL > 0 {
		return "until withdrawn, at most " + strconv.Itoa(int(t.ConsentTTL/(24*time.Hour))) + " days"
	}
	return "until withdrawn"
}

// sendReceipt sends the short in-chat receipt in the person's language.
func (s *Service) sendReceipt(ctx context.Context, r chat.Replier, ref storage.ContactRef, lang string) error {
	st, _, err := s.State(ctx, ref)
	if err != nil {
		return err
	}
	h, err := s.History(ctx, ref)
	if err != nil {
		return err
	}
	g, ok := lastGrant(h)
	if !ok {
		return nil
	}
	n := s.notices.Load().Get(lang)
	text := s.render(n.Texts.Receipt, n, map[string]string{
		"date":     dateOf(g.OccurredAt),
		"version":  g.Notice,
		"purposes": s.purposeList(st, n, s.now()),
	})
	if _, err := r.Reply(chat.WithIntent(ctx, chat.Intent{Purpose: chat.PurposeCore}), chat.Text{Body: text}); err != nil {
		return fmt.Errorf("consent: send receipt: %w", err)
	}
	return nil
}
