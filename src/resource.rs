//! One plan/apply path for every cloud object: X-Ray groups and sampling rules,
//! CloudWatch log groups, and whatever comes next. A kind of object says how to
//! find, create, update, tag and delete it and how its pure planner compares it
//! ([`Resource`]); the rest is written once here: reading what exists, the
//! creation race (someone else created it between our read and our create), the
//! managed-by rule for `destroy`, and the outcome each step reports.
//! Nothing here prompts: the caller decides what is agreed.

use std::collections::BTreeMap;
use std::future::Future;

use crate::aws::AwsError;
use crate::plan::{FieldDiff, Kind, Outcome, Status, Step};

/// Tags as the services take them.
pub(crate) type Tags = BTreeMap<String, String>;

/// The tag every object we create carries; `destroy` deletes only what has it.
pub(crate) const MANAGED_BY: (&str, &str) = ("managed-by", "cruddur-obs");

/// What a successful create left behind.
#[derive(Debug, Clone, Default)]
pub struct Created {
    /// The new object's ARN, when the create call returns it.
    pub arn: Option<String>,
    /// Said with the outcome (e.g. "retention 7 days").
    pub note: Option<String>,
}

/// A kind of cloud object, implemented by its desired state (its spec).
pub trait Resource: Clone {
    /// The service client the calls go through.
    type Api;
    /// The object as the service reports it.
    type Observed;

    fn kind(&self) -> Kind;
    fn name(&self) -> &str;
    /// The tags it should carry.
    fn tags(&self) -> &Tags;

    /// Reads the object named like this one; its tags only when `with_tags`
    /// (one more call per object).
    fn find(
        &self,
        api: &Self::Api,
        with_tags: bool,
    ) -> impl Future<Output = Result<Option<Self::Observed>, AwsError>>;
    fn arn(observed: &Self::Observed) -> &str;
    /// Its tags, when they were read.
    fn observed_tags(observed: &Self::Observed) -> Option<&Tags>;

    /// The pure planner: what it needs to match this spec.
    fn plan(&self, observed: Option<&Self::Observed>) -> Step;

    fn create(&self, api: &Self::Api) -> impl Future<Output = Result<Created, AwsError>>;
    /// Applies the changes other than `Tags.*` (those go through [`Resource::tag`]).
    fn update(
        &self,
        api: &Self::Api,
        changes: &[FieldDiff],
    ) -> impl Future<Output = Result<(), AwsError>>;
    fn tag(api: &Self::Api, arn: &str, tags: &Tags) -> impl Future<Output = Result<(), AwsError>>;
    fn delete(&self, api: &Self::Api) -> impl Future<Output = Result<(), AwsError>>;

    /// Whether a failed create means someone else created it first.
    fn lost_race(err: &AwsError) -> bool;
}

/// What the tool is asked to make true of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Present and as specified.
    Present,
    /// Gone, whoever made it (`xray delete`, `logs delete`).
    Absent,
    /// Gone if it carries our [`MANAGED_BY`] tag; someone else's is left alone
    /// and reported as foreign (`destroy`).
    AbsentIfOurs,
}

/// One object and what is wanted of it.
#[derive(Debug, Clone)]
pub struct Target<R> {
    pub spec: R,
    pub want: Want,
}

impl<R> Target<R> {
    pub fn present(spec: R) -> Target<R> {
        Target {
            spec,
            want: Want::Present,
        }
    }

    pub fn absent(spec: R) -> Target<R> {
        Target {
            spec,
            want: Want::Absent,
        }
    }

    pub fn absent_if_ours(spec: R) -> Target<R> {
        Target {
            spec,
            want: Want::AbsentIfOurs,
        }
    }
}

/// A target with the step it needs, as read from the service.
#[derive(Debug, Clone)]
pub struct Planned<R> {
    pub target: Target<R>,
    pub step: Step,
    pub arn: Option<String>,
}

impl<R: Resource> Planned<R> {
    /// The outcome when the step is not applied (dry run, status, or declined).
    pub fn unapplied(&self, dry_run: bool) -> Outcome {
        self.outcome(self.step.unapplied(dry_run), None)
    }

    fn outcome(&self, status: Status, note: Option<String>) -> Outcome {
        Outcome {
            kind: self.target.spec.kind(),
            name: self.target.spec.name().to_string(),
            status,
            arn: self.arn.clone().filter(|a| !a.is_empty()),
            changes: self.step.changes().to_vec(),
            note,
        }
    }
}

fn is_ours(tags: Option<&Tags>) -> bool {
    tags.and_then(|t| t.get(MANAGED_BY.0))
        .is_some_and(|v| v == MANAGED_BY.1)
}

/// Reads the object and decides what it needs.
pub async fn plan<R: Resource>(api: &R::Api, target: Target<R>) -> Result<Planned<R>, AwsError> {
    let spec = &target.spec;
    let with_tags = match target.want {
        Want::Present => !spec.tags().is_empty(),
        Want::Absent => false,
        Want::AbsentIfOurs => true,
    };
    let observed = spec.find(api, with_tags).await?;
    let step = match (target.want, &observed) {
        (Want::Present, o) => spec.plan(o.as_ref()),
        (Want::Absent | Want::AbsentIfOurs, None) => Step::Absent,
        (Want::Absent, Some(_)) => Step::Delete,
        (Want::AbsentIfOurs, Some(o)) if is_ours(R::observed_tags(o)) => Step::Delete,
        (Want::AbsentIfOurs, Some(_)) => Step::Foreign,
    };
    let arn = observed.as_ref().map(|o| R::arn(o).to_string());
    Ok(Planned { target, step, arn })
}

/// Applies a planned step. `may_update`: whether an update found only now (after
/// losing a creation race) may be applied without asking again.
pub async fn apply<R: Resource>(
    api: &R::Api,
    planned: Planned<R>,
    may_update: bool,
) -> Result<Outcome, AwsError> {
    let spec = &planned.target.spec;
    match (planned.target.want, &planned.step) {
        (Want::Present, Step::Create) => match spec.create(api).await {
            Ok(created) => {
                let arn = created.arn.or_else(|| planned.arn.clone());
                Ok(Planned { arn, ..planned }.outcome(Status::Created, created.note))
            }
            Err(e) if R::lost_race(&e) => converge_after_race(api, planned, e, may_update).await,
            Err(e) => Err(e),
        },
        (Want::Present, Step::Update { changes }) => {
            let (tags, fields): (Vec<&FieldDiff>, Vec<&FieldDiff>) =
                changes.iter().partition(|c| c.field.starts_with("Tags."));
            if !fields.is_empty() {
                spec.update(api, changes).await?;
            }
            if !tags.is_empty() {
                R::tag(api, planned.arn.as_deref().unwrap_or_default(), spec.tags()).await?;
            }
            Ok(planned.outcome(Status::Updated, None))
        }
        (Want::Absent | Want::AbsentIfOurs, Step::Delete) => {
            spec.delete(api).await?;
            Ok(planned.outcome(Status::Deleted, None))
        }
        // In sync, absent, foreign, conflicting: nothing to apply.
        (_, step) => Ok(planned.outcome(step.unapplied(false), None)),
    }
}

/// After a failed create, read again: if the object now exists, converge on it;
/// if it still does not, the create failed for a real reason.
async fn converge_after_race<R: Resource>(
    api: &R::Api,
    planned: Planned<R>,
    create_error: AwsError,
    may_update: bool,
) -> Result<Outcome, AwsError> {
    let again = plan(api, planned.target).await?;
    let note = Some("created meanwhile by someone else".to_string());
    match &again.step {
        Step::Create => Err(create_error),
        Step::InSync => Ok(again.outcome(Status::InSync, note)),
        Step::Update { .. } if may_update => {
            let mut outcome = Box::pin(apply(api, again, false)).await?;
            outcome.note = note;
            Ok(outcome)
        }
        _ => Ok(again.outcome(again.step.unapplied(false), note)),
    }
}

#[cfg(test)]
mod tests {
    //! The shared path against an in-memory kind of object: the X-Ray and Logs
    //! kinds are exercised against the emulator and moto in `tests/it`.
    use std::cell::RefCell;

    use super::*;
    use crate::aws::{CallError, CallFailure};

    #[derive(Default)]
    struct Store {
        objects: RefCell<BTreeMap<String, (i64, Tags)>>,
        /// Created by "someone else" just before our create lands.
        race: RefCell<Option<(i64, Tags)>>,
        calls: RefCell<Vec<String>>,
    }

    #[derive(Debug, Clone)]
    struct Thing {
        name: String,
        size: i64,
        tags: Tags,
    }

    fn err(code: &str) -> AwsError {
        AwsError::Call(Box::new(CallError {
            operation: "Create",
            target: "memory".into(),
            failure: CallFailure::Service { code: code.into() },
            message: code.into(),
            detail: String::new(),
        }))
    }

    impl Resource for Thing {
        type Api = Store;
        type Observed = (String, i64, Tags);

        fn kind(&self) -> Kind {
            Kind::LogGroup
        }
        fn name(&self) -> &str {
            &self.name
        }
        fn tags(&self) -> &Tags {
            &self.tags
        }
        async fn find(
            &self,
            api: &Store,
            _with_tags: bool,
        ) -> Result<Option<Self::Observed>, AwsError> {
            api.calls.borrow_mut().push("find".into());
            Ok(api
                .objects
                .borrow()
                .get(&self.name)
                .map(|(size, tags)| (format!("arn:{}", self.name), *size, tags.clone())))
        }
        fn arn(o: &Self::Observed) -> &str {
            &o.0
        }
        fn observed_tags(o: &Self::Observed) -> Option<&Tags> {
            Some(&o.2)
        }
        fn plan(&self, o: Option<&Self::Observed>) -> Step {
            match o {
                None => Step::Create,
                Some((_, size, tags)) => {
                    let mut changes = crate::plan::tag_diffs(&self.tags, Some(tags));
                    if *size != self.size {
                        changes.push(FieldDiff::new(
                            "Size",
                            Some(size.to_string()),
                            Some(self.size.to_string()),
                        ));
                    }
                    Step::from_changes(changes)
                }
            }
        }
        async fn create(&self, api: &Store) -> Result<Created, AwsError> {
            api.calls.borrow_mut().push("create".into());
            if let Some(theirs) = api.race.borrow_mut().take() {
                api.objects.borrow_mut().insert(self.name.clone(), theirs);
                return Err(err("AlreadyExists"));
            }
            api.objects
                .borrow_mut()
                .insert(self.name.clone(), (self.size, self.tags.clone()));
            Ok(Created {
                arn: Some(format!("arn:{}", self.name)),
                note: None,
            })
        }
        async fn update(&self, api: &Store, _changes: &[FieldDiff]) -> Result<(), AwsError> {
            api.calls.borrow_mut().push("update".into());
            if let Some(o) = api.objects.borrow_mut().get_mut(&self.name) {
                o.0 = self.size;
            }
            Ok(())
        }
        async fn tag(api: &Store, arn: &str, tags: &Tags) -> Result<(), AwsError> {
            api.calls.borrow_mut().push(format!("tag {arn}"));
            let name = arn.trim_start_matches("arn:");
            if let Some(o) = api.objects.borrow_mut().get_mut(name) {
                o.1.extend(tags.clone());
            }
            Ok(())
        }
        async fn delete(&self, api: &Store) -> Result<(), AwsError> {
            api.calls.borrow_mut().push("delete".into());
            api.objects.borrow_mut().remove(&self.name);
            Ok(())
        }
        fn lost_race(e: &AwsError) -> bool {
            matches!(e.failure(), Some(CallFailure::Service { code }) if code == "AlreadyExists")
        }
    }

    fn ours() -> Tags {
        Tags::from([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())])
    }

    fn thing(size: i64) -> Thing {
        Thing {
            name: "cruddur".into(),
            size,
            tags: ours(),
        }
    }

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    }

    #[test]
    fn create_then_converge_with_no_writes() {
        let store = Store::default();
        run(async {
            let p = plan(&store, Target::present(thing(7))).await.unwrap();
            assert_eq!(p.step, Step::Create);
            let o = apply(&store, p, false).await.unwrap();
            assert_eq!(
                (o.status, o.arn.as_deref()),
                (Status::Created, Some("arn:cruddur"))
            );
            let again = plan(&store, Target::present(thing(7))).await.unwrap();
            assert_eq!(again.step, Step::InSync);
            assert_eq!(
                apply(&store, again, true).await.unwrap().status,
                Status::InSync
            );
        });
        assert_eq!(store.calls.borrow().as_slice(), ["find", "create", "find"]);
    }

    #[test]
    fn an_update_changes_fields_and_tags_separately() {
        let store = Store::default();
        store
            .objects
            .borrow_mut()
            .insert("cruddur".into(), (3, Tags::new()));
        run(async {
            let p = plan(&store, Target::present(thing(7))).await.unwrap();
            assert_eq!(p.step.changes().len(), 2, "{:?}", p.step);
            assert_eq!(
                apply(&store, p, false).await.unwrap().status,
                Status::Updated
            );
        });
        assert_eq!(
            store.calls.borrow().as_slice(),
            ["find", "update", "tag arn:cruddur"]
        );
        assert_eq!(store.objects.borrow()["cruddur"], (7, ours()));
    }

    #[test]
    fn a_lost_creation_race_converges_only_with_agreement() {
        for may_update in [false, true] {
            let store = Store::default();
            *store.race.borrow_mut() = Some((3, ours()));
            let o = run(async {
                let p = plan(&store, Target::present(thing(7))).await.unwrap();
                apply(&store, p, may_update).await.unwrap()
            });
            assert_eq!(o.note.as_deref(), Some("created meanwhile by someone else"));
            let (status, size) = if may_update {
                (Status::Updated, 7)
            } else {
                (Status::Drifted, 3)
            };
            assert_eq!(o.status, status);
            assert_eq!(store.objects.borrow()["cruddur"].0, size);
        }
    }

    #[test]
    fn a_create_that_fails_for_another_reason_is_the_error() {
        // A create error whose object is still missing on the second read is the
        // create's error, not a race.
        let store = Store::default();
        let e = run(async {
            let p = plan(&store, Target::present(thing(7))).await.unwrap();
            store.objects.borrow_mut().clear();
            converge_after_race(&store, p, err("Throttled"), true).await
        });
        assert!(
            matches!(e, Err(ref x) if matches!(x.failure(), Some(CallFailure::Service { code }) if code == "Throttled")),
            "{e:?}"
        );
    }

    #[test]
    fn destroy_deletes_only_ours_and_delete_deletes_any() {
        let store = Store::default();
        store
            .objects
            .borrow_mut()
            .insert("cruddur".into(), (7, Tags::new()));
        run(async {
            let p = plan(&store, Target::absent_if_ours(thing(7)))
                .await
                .unwrap();
            assert_eq!(p.step, Step::Foreign);
            assert_eq!(
                apply(&store, p, true).await.unwrap().status,
                Status::Foreign
            );
            assert!(store.objects.borrow().contains_key("cruddur"));

            let p = plan(&store, Target::absent(thing(7))).await.unwrap();
            assert_eq!(p.step, Step::Delete);
            assert_eq!(
                apply(&store, p, true).await.unwrap().status,
                Status::Deleted
            );
            assert!(store.objects.borrow().is_empty());

            let p = plan(&store, Target::absent_if_ours(thing(7)))
                .await
                .unwrap();
            assert_eq!(p.step, Step::Absent);
        });
    }
}
