package graft

import (
	"context"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
)

// pageSize is the page size the List methods ask for while following pages.
const pageSize = 500

// GetModel returns a model by "name" (its latest version) or "name@version".
func (c *Client) GetModel(ctx context.Context, name string) (*Model, error) {
	m, err := c.models.GetModel(ctx, &graftv1.GetModelRequest{Name: name})
	return m, wrap(err)
}

// ListModels returns every model matching filter ("kind=BASE", "kind=TRAINED", "domain=nlp",
// "base_model=NAME"; "" = all), following the pages.
func (c *Client) ListModels(ctx context.Context, filter string) ([]*Model, error) {
	var all []*Model
	token := ""
	for {
		res, err := c.models.ListModels(ctx, &graftv1.ListModelsRequest{PageSize: pageSize, PageToken: token, Filter: filter})
		if err != nil {
			return nil, wrap(err)
		}
		all = append(all, res.GetModels()...)
		if token = res.GetNextPageToken(); token == "" {
			return all, nil
		}
	}
}

// DeleteModel deletes a model ("name" = all its versions, or "name@version").
func (c *Client) DeleteModel(ctx context.Context, name string) error {
	_, err := c.models.DeleteModel(ctx, &graftv1.DeleteModelRequest{Name: name})
	return wrap(err)
}

// SetModelAlias points name:alias at name@version, creating or moving it atomically; from then on
// "name:alias" names that version wherever a model is named (Predict, Extract, GetModel). It
// returns that version, with its Aliases.
func (c *Client) SetModelAlias(ctx context.Context, name, alias string, version int32) (*Model, error) {
	m, err := c.models.SetModelAlias(ctx, &graftv1.SetModelAliasRequest{Name: name, Alias: alias, Version: version})
	return m, wrap(err)
}

// DeleteModelAlias removes name:alias; the version it named stays.
func (c *Client) DeleteModelAlias(ctx context.Context, name, alias string) error {
	_, err := c.models.DeleteModelAlias(ctx, &graftv1.DeleteModelAliasRequest{Name: name, Alias: alias})
	return wrap(err)
}

// ServerInfo returns the server's version, plugins (with their state) and device pools.
func (c *Client) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	info, err := c.server.GetServerInfo(ctx, &graftv1.GetServerInfoRequest{})
	return info, wrap(err)
}
