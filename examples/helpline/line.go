package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/impactchat/impactchat/triage"
)

//go:embed line.yaml
var defaultLine []byte

// lineConfig is line.yaml.
type lineConfig struct {
	file            string     // the file it was read from, for errors
	Name            string     `yaml:"name"` // how the line names itself to its operators
	DefaultLanguage string     `yaml:"default_language"`
	Controller      controller `yaml:"controller"`
	Playbooks       []string   `yaml:"playbooks"`
	Hours           struct {
		TimeZone string   `yaml:"time_zone"`
		Days     []string `yaml:"days"`
		Open     string   `yaml:"open"`
		Close    string   `yaml:"close"`
		Holidays []string `yaml:"holidays"`
	} `yaml:"hours"`
	FollowUp struct {
		Name     string `yaml:"name"`
		Language string `yaml:"language"`
	} `yaml:"followup_template"`
	Replies struct {
		Safety     map[string]string `yaml:"safety"`
		Queued     map[string]string `yaml:"queued"`
		OutOfHours map[string]string `yaml:"out_of_hours"`
	} `yaml:"replies"`
	FAQ []struct {
		Name     string            `yaml:"name"`
		Keywords []string          `yaml:"keywords"`
		Answer   map[string]string `yaml:"answer"`
	} `yaml:"faq"`
}

type controller struct {
	Name         string `yaml:"name"`
	Contact      string `yaml:"contact"`
	Email        string `yaml:"email"`
	URL          string `yaml:"url"`
	Jurisdiction string `yaml:"jurisdiction"`
	Service      string `yaml:"service"`
}

const maxLineFile = 256 << 10

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// parseLine reads and checks line.yaml; errors name the file and the field
// (and the line, for what the YAML decoder finds).
func parseLine(name string, data []byte) (*lineConfig, error) {
	if len(data) > maxLineFile {
		return nil, fmt.Errorf("%s: more than %d bytes; at most %d are allowed", name, maxLineFile, maxLineFile)
	}
	var c lineConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.file = name
	bad := func(field, problem string) error { return fmt.Errorf("%s: %s %s", name, field, problem) }
	if c.DefaultLanguage == "" {
		return nil, bad("default_language", "is empty")
	}
	if len(c.Playbooks) == 0 {
		return nil, bad("playbooks", "is empty; name at least the playbook conversations start with")
	}
	if _, err := time.LoadLocation(c.Hours.TimeZone); err != nil || c.Hours.TimeZone == "" {
		return nil, bad("hours.time_zone", fmt.Sprintf("%q is not a time zone such as Europe/Athens", c.Hours.TimeZone))
	}
	for _, d := range c.Hours.Days {
		if _, ok := weekdays[strings.ToLower(d)]; !ok {
			return nil, bad("hours.days", fmt.Sprintf("has %q; use mon, tue, wed, thu, fri, sat, sun", d))
		}
	}
	for field, texts := range map[string]map[string]string{
		"replies.safety": c.Replies.Safety, "replies.queued": c.Replies.Queued, "replies.out_of_hours": c.Replies.OutOfHours,
	} {
		if strings.TrimSpace(texts[c.DefaultLanguage]) == "" {
			return nil, bad(field, "has no text in the default language "+c.DefaultLanguage)
		}
	}
	for i, f := range c.FAQ {
		if f.Name == "" || len(f.Keywords) == 0 || f.Answer[c.DefaultLanguage] == "" {
			return nil, bad(fmt.Sprintf("faq[%d]", i), "needs a name, keywords and an answer in "+c.DefaultLanguage)
		}
	}
	return &c, nil
}

func (c *lineConfig) schedule() (triage.Schedule, error) {
	loc, err := time.LoadLocation(c.Hours.TimeZone)
	if err != nil {
		return nil, err
	}
	var days []time.Weekday
	for _, d := range c.Hours.Days {
		days = append(days, weekdays[strings.ToLower(d)])
	}
	bh, err := triage.NewBusinessHours(loc, days, c.Hours.Open, c.Hours.Close, c.Hours.Holidays...)
	if err != nil {
		return nil, fmt.Errorf("%s: hours: %w", c.file, err)
	}
	return bh, nil
}

func (c *lineConfig) replies() triage.Replies {
	return triage.Replies{Default: c.DefaultLanguage, Safety: c.Replies.Safety, Queued: c.Replies.Queued, OutOfHours: c.Replies.OutOfHours}
}
