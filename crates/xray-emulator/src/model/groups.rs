//! Groups: CreateGroup and UpdateGroup (the other group operations are in
//! `RegionState::dispatch`), a group's JSON and its Insights settings.

use serde_json::{json, Map, Value};

use super::error::{ApiError, Res};
use super::tags::tag_list;
use super::validation::{boolean, object, required, string};
use super::{RegionState, ACCOUNT_ID, DEFAULT};

#[derive(Debug, Clone)]
pub(super) struct Group {
    pub(super) name: String,
    pub(super) arn: String,
    pub(super) filter: Option<String>,
    pub(super) insights: bool,
    pub(super) notifications: bool,
}

impl Group {
    pub(super) fn to_json(&self) -> Value {
        let mut g = Map::new();
        g.insert("GroupName".into(), json!(self.name));
        g.insert("GroupARN".into(), json!(self.arn));
        if let Some(f) = &self.filter {
            g.insert("FilterExpression".into(), json!(f));
        }
        g.insert(
            "InsightsConfiguration".into(),
            json!({"InsightsEnabled": self.insights, "NotificationsEnabled": self.notifications}),
        );
        Value::Object(g)
    }
}

impl RegionState {
    pub(super) fn find_group(&self, body: &Value) -> Res<usize> {
        let name = string(body, "GroupName", 1, 32)?;
        let arn = string(body, "GroupARN", 1, 400)?;
        if name.is_none() && arn.is_none() {
            return Err(ApiError::invalid("GroupName or GroupARN is required"));
        }
        self.groups
            .iter()
            .position(|g| Some(&g.name) == name.as_ref() || Some(&g.arn) == arn.as_ref())
            .ok_or_else(|| ApiError::invalid("Group not found"))
    }

    fn insights(body: &Value, group: &mut Group) -> Res<()> {
        let Some(_) = object(body, "InsightsConfiguration")? else {
            return Ok(());
        };
        let c = &body["InsightsConfiguration"];
        if let Some(on) = boolean(c, "InsightsEnabled")? {
            group.insights = on;
        }
        if let Some(on) = boolean(c, "NotificationsEnabled")? {
            group.notifications = on;
        }
        if group.notifications && !group.insights {
            return Err(ApiError::invalid(
                "Notifications can only be enabled on groups with Insights enabled",
            ));
        }
        Ok(())
    }

    pub(super) fn create_group(&mut self, body: &Value) -> Res<Value> {
        let name = required(string(body, "GroupName", 1, 32)?, "GroupName")?;
        if name == DEFAULT {
            return Err(ApiError::invalid("Default is a reserved group name"));
        }
        if self.groups.iter().any(|g| g.name == name) {
            return Err(ApiError::invalid(format!("Group {name} already exists")));
        }
        let tags = tag_list(body, "Tags")?;
        let id = self.next_id();
        let mut group = Group {
            arn: format!(
                "arn:aws:xray:{}:{ACCOUNT_ID}:group/{name}/{id}",
                self.region
            ),
            name,
            filter: string(body, "FilterExpression", 0, usize::MAX)?,
            insights: false,
            notifications: false,
        };
        RegionState::insights(body, &mut group)?;
        if !tags.is_empty() {
            self.tags
                .insert(group.arn.clone(), tags.into_iter().collect());
        }
        let out = json!({"Group": group.to_json()});
        self.groups.push(group);
        Ok(out)
    }

    pub(super) fn update_group(&mut self, body: &Value) -> Res<Value> {
        let i = self.find_group(body)?;
        let mut group = self.groups[i].clone();
        if let Some(filter) = string(body, "FilterExpression", 0, usize::MAX)? {
            if group.name == DEFAULT {
                return Err(ApiError::invalid(
                    "The filter expression of the Default group cannot be changed",
                ));
            }
            group.filter = Some(filter);
        }
        RegionState::insights(body, &mut group)?;
        let out = json!({"Group": group.to_json()});
        self.groups[i] = group;
        Ok(out)
    }
}
