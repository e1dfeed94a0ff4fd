/**
 * Words on the screen: Chinese by default, English switchable (Settings). Field-error
 * messages come from validate.js / the server in Chinese; English adds its own by code.
 */

const ZH = {
  app: '村医工作平台', loading: '正在打开…', offline: '无网络', online: '在线',
  'nav.home': '首页', 'nav.search': '查找', 'nav.new': '登记', 'nav.sync': '同步', 'nav.me': '我的',
  'login.title': '首次登录', 'login.hint': '首次使用须联网，用乡镇卫生院发给您的账号登录。登录后本机会下载您负责的村的数据，以后没有信号也能用。',
  'login.username': '用户名', 'login.password': '密码', 'login.submit': '登录并绑定本机',
  'login.offline': '首次登录需要网络，请到有信号的地方再试', 'login.failed': '用户名或密码错误',
  'login.device_label': '村医手机',
  'login.demo': '演示系统：账号和密码是公开的，请勿录入真实居民的信息。',
  'password.onetime_title': '请设置新密码',
  'password.onetime_hint': '您用的是乡镇卫生院给的一次性密码，它只能用来设置新密码。请设置只有您知道的新密码（至少 {n} 位），以后登录、忘记PIN时都用它。',
  'password.new': '新密码', 'password.again': '再输一次新密码', 'password.current': '当前密码',
  'password.short': '新密码至少 {n} 位', 'password.mismatch': '两次输入的新密码不一致',
  'password.wrong_current': '当前密码不正确', 'password.continue': '保存新密码并继续',
  'password.session_gone': '登录已过期，请返回重新登录', 'password.change': '修改密码',
  'password.change_hint': '修改后本机照常使用，不用重新登录；忘记PIN时请用新密码解锁。',
  'password.offline': '修改密码需要联网，请到有信号的地方再试', 'password.submit': '确定修改',
  'password.back': '返回“我的”', 'password.changed': '密码已修改',
  'password.changed_hint': '以后登录、在本机忘记PIN时，请用新密码。',
  'password.need_pin': '本机保存的是您更早的密码（可能在乡镇卫生院改过）。请输入PIN，让本机改用新密码找回PIN。',
  'pin.title': '设置6位解锁密码（PIN）', 'pin.hint': '以后每次打开只需输入PIN。手机丢失时，没有PIN或账号密码，别人无法读取本机数据。',
  'pin.first': '输入6位数字', 'pin.again': '再输一次', 'pin.mismatch': '两次输入不一致，请重新设置',
  'pin.weak': '请不要用过于简单的数字（如 123456、000000）', 'pin.save': '确定',
  'unlock.title': '请输入PIN解锁', 'unlock.wrong': 'PIN不正确', 'unlock.forgot': '忘记PIN？用账号密码解锁',
  'unlock.password': '账号密码', 'unlock.submit': '解锁', 'unlock.wait': '错误次数过多，请 {s} 秒后再试',
  'unlock.newpin': '请重新设置PIN',
  'ready.title': '正在准备离线使用', 'ready.files': '应用文件', 'ready.data': '本村数据',
  'ready.files_n': '{done}/{total} 个 · {kb}/{total_kb} KB', 'ready.data_n': '{n} 条 · {kb} KB',
  'ready.stay_online': '请保持联网，不要关闭本页。全部下载完之前，这部手机还不能离线使用。',
  'ready.offline': '网络已断开。已下载的部分已保存，不会丢失；联网后会自动接着下载。下载完之前还不能离线使用。',
  'ready.done': '✓ 可以离线工作了', 'ready.done_hint': '没有信号也能打开应用、查档案、做记录；回到有信号的地方会自动同步。',
  'ready.start': '开始工作', 'ready.continue_online': '先开始工作（须保持联网）',
  'ready.no_worker': '此浏览器不能把应用存在手机上，只能联网使用',
  'sync.unsynced': '未同步 {n} 条', 'sync.allsynced': '已全部同步', 'sync.last': '上次 {t}',
  'sync.never': '尚未同步', 'sync.now': '同步', 'sync.running': '正在同步…', 'sync.failed': '同步失败：{m}',
  'sync.offline': '没有网络，记录已保存在本机，有信号时自动同步', 'sync.ok': '同步完成',
  'sync.revoked': '此设备已被停用（可能已挂失），请联系乡镇卫生院管理员。本机未同步的记录仍然保留。',
  'sync.clock': '手机时间不准（相差约 {m} 分钟），请在手机设置中校准时间。记录的顺序以服务器时间为准。',
  'sync.rejected': '被退回，需修改', 'sync.pending': '待上传', 'sync.fix': '修改', 'sync.resend': '重新发送',
  'sync.notices': '乡镇卫生院的提示', 'sync.moved_away': '已由乡镇卫生院转到其他村，不再在本机显示；其档案和服务记录随人转走', 'sync.moved_away_many': '{n} 位居民已由乡镇卫生院转到您不负责的村，不再在本机显示', 'sync.arrived': '新到您负责的村（乡镇卫生院转入或新登记），请查看档案并安排随访', 'sync.arrived_many': '{n} 位居民新到您负责的村', 'sync.conflict': '与他人修改冲突：以先提交的为准，您的修改已交乡镇卫生院审核',
  'sync.merged': '已与他人的修改合并', 'sync.outbox': '待同步记录', 'sync.empty': '没有待同步的记录',
  'storage.low': '手机存储空间不足（剩余约 {mb} MB），请清理手机空间，以免无法保存记录',
  'storage.used': '本机已用 {used} MB / 可用 {quota} MB', 'storage.persisted': '已申请持久存储：系统不会自动清除本机数据',
  'storage.notpersisted': '未获得持久存储：请把本应用添加到主屏幕',
  'home.today': '今日工作', 'home.followups': '慢病随访到期/逾期', 'home.vaccines': '儿童疫苗待种/漏种',
  'home.elderly': '65岁以上今年未体检', 'home.urgent': '紧急转诊待追踪', 'home.none': '无',
  'home.overdue': '逾期', 'home.due': '到期 {d}', 'home.missed': '漏种', 'home.duev': '待种', 'home.more': '还有 {n} 人',
  'progress.title': '我的工作进度', 'progress.month': '本月服务', 'progress.none': '本月尚无服务记录', 'progress.standard': '规范管理率（今年）',
  'progress.control': '控制率（今年）', 'progress.of': '{a}/{b} 人', 'progress.target': '目标 {v}', 'progress.link': '我的进度',
  'progress.estimate': '以上按本机已有数据估算，仅供参考；以乡镇卫生院的统计为准。', 'trend.bp': '血压趋势', 'trend.glucose': '空腹血糖趋势',
  'home.age': '{n}岁', 'home.age_months': '{n}个月', 'home.age_days': '{n}天', 'home.update': '新版本已下载，点此更新（未同步的记录不受影响）',
  'search.placeholder': '姓名、拼音首字母、身份证号、电话、户主', 'search.none': '没有找到', 'search.count': '{n} 人',
  'resident.history': '服务记录', 'resident.conditions': '登记疾病', 'resident.none': '暂无记录',
  'resident.household': '家庭', 'resident.record_no': '档案号', 'resident.unsynced': '未同步', 'resident.no_record': '未建档',
  'resident.new_record': '新建记录', 'resident.members': '家庭成员', 'resident.add_member': '新增家庭成员',
  'new.title': '登记', 'new.household': '新建家庭（户）', 'new.resident': '新建居民档案',
  'new.education': '健康教育活动', 'new.household_visit': '入户随访',
  'form.save': '保存', 'form.saved': '已保存在本机', 'form.cancel': '返回', 'form.more': '更多项目',
  'form.errors': '有 {n} 处需要修改', 'form.urgent': '紧急转诊指征', 'form.copy_last': '已按上次随访预填',
  'form.add': '添加', 'form.remove': '删除', 'form.yes': '是', 'form.no': '否', 'form.rejected': '服务器退回原因',
  'urgent.sbp_high': '收缩压 ≥ 180 mmHg', 'urgent.dbp_high': '舒张压 ≥ 110 mmHg',
  'urgent.glucose_high': '空腹血糖 ≥ 16.7 mmol/L', 'urgent.glucose_low': '空腹血糖 ≤ 3.9 mmol/L',
  'urgent.advice': '请紧急转诊，并在两周内追踪',
  'me.title': '我的', 'me.language': 'Language / 语言', 'me.lock': '锁定', 'me.logout': '退出登录',
  'me.version': '应用版本', 'me.device': '本机', 'me.villages': '负责的村',
  'logout.unsynced': '还有 {n} 条记录没有同步到乡镇卫生院。退出会永久删除这些记录。',
  'logout.try_sync': '先同步', 'logout.confirm': '输入PIN，确认删除未同步记录并退出', 'logout.go': '删除并退出',
  'logout.sure': '退出后本机数据将被清除，下次需联网登录。确定退出？',
  'kind.household_visit': '入户随访', 'kind.hypertension_followup': '高血压随访',
  'kind.diabetes_followup': '糖尿病随访', 'kind.vaccination_check': '预防接种核查',
  'kind.education_activity': '健康教育活动', 'kind.elderly_health_check': '老年人健康体检',
  'kind.household': '家庭', 'kind.resident': '居民档案',
  'edit.resident': '修改居民档案', 'edit.household': '修改家庭信息', 'edit.none': '没有修改任何内容',
  'edit.hint': '只上传您改动的项目；没有网络也可以保存。', 'edit.managed_since': '管理起始',
  'conflict.line': '保留 {kept}，您的 {yours} 未采用', 'conflict.sep': '：', 'edit.op': '修改', 'conflict.empty': '（空）',
  'conflict.since': '（{d}起管理）', 'conflict.ended': '，{d}结束',
  'record.correct': '更正', 'record.void': '作废', 'record.pending': '待同步', 'record.corrected': '已更正',
  'record.voided': '已作废', 'record.conflict': '冲突', 'record.reason': '原因：{r}', 'kind.record': '服务记录',
  'correct.title': '更正', 'correct.reason': '更正原因（必填）', 'correct.hint': '保存后替换原记录，原记录保留在历史中。',
  'reason.required': '请填写原因', 'reason.long': '原因不能超过 {n} 个字',
  'void.title': '作废记录', 'void.reason': '作废原因（必填）', 'void.confirm': '确认作废', 'void.cancel': '取消',
  'void.hint': '作废后这条记录不再计入统计；原记录和原因保留在历史中，乡镇卫生院可以看到。', 'void.done': '已作废',
  'draft.found': '有一份未保存的草稿（{t}）', 'draft.restore': '继续填写草稿', 'draft.discard': '丢弃草稿',
  'cond.hypertension': '高血压', 'cond.diabetes': '2型糖尿病', 'cond.mental_disorder': '严重精神障碍',
  'cond.tuberculosis': '肺结核', 'sex.male': '男', 'sex.female': '女', 'sex.unknown': '未知',
};

const EN = {
  app: 'Village doctor', loading: 'Opening…', offline: 'Offline', online: 'Online',
  'nav.home': 'Home', 'nav.search': 'Find', 'nav.new': 'New', 'nav.sync': 'Sync', 'nav.me': 'Me',
  'login.title': 'First login', 'login.hint': 'The first login needs the network. Use the account the township gave you; this phone then downloads your villages and works without signal.',
  'login.username': 'Username', 'login.password': 'Password', 'login.submit': 'Log in and enrol this phone',
  'login.offline': 'The first login needs the network', 'login.failed': 'Wrong username or password',
  'login.device_label': 'Village doctor phone',
  'login.demo': 'Demonstration system: its accounts and passwords are public. Do not enter real residents\' information.',
  'password.onetime_title': 'Choose a new password',
  'password.onetime_hint': 'The township gave you a one-time password: it only lets you choose your own. Choose a new password only you know (at least {n} characters); use it to log in and when you forget the PIN.',
  'password.new': 'New password', 'password.again': 'New password again', 'password.current': 'Current password',
  'password.short': 'The new password needs at least {n} characters', 'password.mismatch': 'The two new passwords differ',
  'password.wrong_current': 'The current password is wrong', 'password.continue': 'Save the new password and go on',
  'password.session_gone': 'The login has expired: go back and log in again', 'password.change': 'Change password',
  'password.change_hint': 'This phone keeps working without a new login; if you forget the PIN, unlock with the new password.',
  'password.offline': 'Changing the password needs the network', 'password.submit': 'Change it',
  'password.back': 'Back to Me', 'password.changed': 'Password changed',
  'password.changed_hint': 'Use the new password to log in, and on this phone when you forget the PIN.',
  'password.need_pin': 'This phone holds an older password of yours (changed at the township?). Enter the PIN so the new password can recover a forgotten PIN here.',
  'pin.title': 'Set a 6-digit PIN', 'pin.hint': 'You enter the PIN each time you open the app. Without it (or your password) a lost phone\'s data cannot be read.',
  'pin.first': 'Enter 6 digits', 'pin.again': 'Once more', 'pin.mismatch': 'The two PINs differ',
  'pin.weak': 'Please avoid trivial PINs such as 123456 or 000000', 'pin.save': 'OK',
  'unlock.title': 'Enter your PIN', 'unlock.wrong': 'Wrong PIN', 'unlock.forgot': 'Forgot the PIN? Use your password',
  'unlock.password': 'Account password', 'unlock.submit': 'Unlock', 'unlock.wait': 'Too many tries: wait {s} s',
  'unlock.newpin': 'Please set a new PIN',
  'ready.title': 'Getting ready to work offline', 'ready.files': 'App files', 'ready.data': 'Your villages\' data',
  'ready.files_n': '{done} of {total} · {kb} of {total_kb} KB', 'ready.data_n': '{n} items · {kb} KB',
  'ready.stay_online': 'Stay online and keep this page open: until everything is downloaded, this phone cannot work offline.',
  'ready.offline': 'The network is gone. What was downloaded is kept, and the download goes on when the network is back. Until it is complete the phone cannot work offline.',
  'ready.done': '✓ Ready to work offline', 'ready.done_hint': 'Without signal the app opens, shows records and saves new ones; it syncs when you are back in range.',
  'ready.start': 'Start work', 'ready.continue_online': 'Start now (stay online)',
  'ready.no_worker': 'This browser cannot keep the app on the phone: online only',
  'sync.unsynced': '{n} not synced', 'sync.allsynced': 'All synced', 'sync.last': 'Last sync {t}',
  'sync.never': 'Never synced', 'sync.now': 'Sync now', 'sync.running': 'Syncing…', 'sync.failed': 'Sync failed: {m}',
  'sync.offline': 'No network: records are kept on the phone and sync when there is signal', 'sync.ok': 'Synced',
  'sync.revoked': 'This phone has been revoked. Contact the township admin. Unsynced records are kept.',
  'sync.clock': 'The phone clock is off by about {m} minutes; please correct it. Server time decides order.',
  'sync.rejected': 'Returned: needs a fix', 'sync.pending': 'Waiting', 'sync.fix': 'Fix', 'sync.resend': 'Send again',
  'sync.notices': 'From the township', 'sync.moved_away': 'Moved to another village by the township: no longer on this phone; their record and services went with them', 'sync.moved_away_many': '{n} residents were moved by the township to villages you do not serve: no longer on this phone', 'sync.arrived': 'New in your villages (moved in by the township, or newly registered): see their record and plan a visit', 'sync.arrived_many': '{n} residents are new in your villages', 'sync.conflict': 'Conflicting edit: the first one stays; yours goes to the township for review',
  'sync.merged': 'Merged with another edit', 'sync.outbox': 'Not yet synced', 'sync.empty': 'Nothing waiting',
  'storage.low': 'Phone storage is low (about {mb} MB left): free some space so records can be saved',
  'storage.used': 'Used {used} MB of {quota} MB', 'storage.persisted': 'Persistent storage granted',
  'storage.notpersisted': 'Storage not persistent: add the app to the home screen',
  'home.today': "Today's work", 'home.followups': 'Follow-ups due / overdue', 'home.vaccines': 'Vaccinations due / missed',
  'home.elderly': '65+ without this year\'s check', 'home.urgent': 'Urgent referrals to check on', 'home.none': 'None',
  'home.overdue': 'Overdue', 'home.due': 'Due {d}', 'home.missed': 'Missed', 'home.duev': 'Due', 'home.more': '{n} more',
  'progress.title': 'My progress', 'progress.month': 'This month', 'progress.none': 'No services yet this month', 'progress.standard': 'Standard management (this year)',
  'progress.control': 'Controlled (this year)', 'progress.of': '{a}/{b}', 'progress.target': 'target {v}', 'progress.link': 'My progress',
  'progress.estimate': 'Estimated from the data on this phone; the township\'s figures are the ones that count.', 'trend.bp': 'Blood pressure', 'trend.glucose': 'Fasting glucose',
  'home.age': '{n} y', 'home.age_months': '{n} mo', 'home.age_days': '{n} d', 'home.update': 'A new version is ready: tap to update (unsynced records are safe)',
  'search.placeholder': 'Name, pinyin initials, ID, phone, household', 'search.none': 'No match', 'search.count': '{n} found',
  'resident.history': 'History', 'resident.conditions': 'Conditions', 'resident.none': 'No records',
  'resident.household': 'Household', 'resident.record_no': 'Record no.', 'resident.unsynced': 'not synced', 'resident.no_record': 'no health record',
  'resident.new_record': 'New record', 'resident.members': 'Members', 'resident.add_member': 'Add a member',
  'new.title': 'New', 'new.household': 'New household', 'new.resident': 'New resident',
  'new.education': 'Health education', 'new.household_visit': 'Household visit',
  'form.save': 'Save', 'form.saved': 'Saved on the phone', 'form.cancel': 'Back', 'form.more': 'More',
  'form.errors': '{n} fields need a fix', 'form.urgent': 'Urgent referral', 'form.copy_last': 'Pre-filled from the last visit',
  'form.add': 'Add', 'form.remove': 'Remove', 'form.yes': 'Yes', 'form.no': 'No', 'form.rejected': 'Why the server returned it',
  'urgent.sbp_high': 'SBP ≥ 180 mmHg', 'urgent.dbp_high': 'DBP ≥ 110 mmHg',
  'urgent.glucose_high': 'Glucose ≥ 16.7 mmol/L', 'urgent.glucose_low': 'Glucose ≤ 3.9 mmol/L',
  'urgent.advice': 'Refer urgently and follow up within two weeks',
  'me.title': 'Me', 'me.language': 'Language / 语言', 'me.lock': 'Lock', 'me.logout': 'Log out',
  'me.version': 'App version', 'me.device': 'This phone', 'me.villages': 'Villages',
  'logout.unsynced': '{n} records are not synced yet. Logging out deletes them for good.',
  'logout.try_sync': 'Sync first', 'logout.confirm': 'Enter your PIN to delete them and log out', 'logout.go': 'Delete and log out',
  'logout.sure': 'Logging out clears this phone; the next login needs the network. Log out?',
  'kind.household_visit': 'Household visit', 'kind.hypertension_followup': 'Hypertension follow-up',
  'kind.diabetes_followup': 'Diabetes follow-up', 'kind.vaccination_check': 'Vaccination check',
  'kind.education_activity': 'Health education', 'kind.elderly_health_check': '65+ health check',
  'kind.household': 'Household', 'kind.resident': 'Resident',
  'edit.resident': 'Edit resident', 'edit.household': 'Edit household', 'edit.none': 'Nothing was changed',
  'edit.hint': 'Only what you change is sent; saving works offline.', 'edit.managed_since': 'Managed since',
  'conflict.line': 'kept {kept}; yours, {yours}, was not used', 'conflict.sep': ': ', 'edit.op': 'Edit', 'conflict.empty': '(empty)',
  'conflict.since': ' (managed since {d})', 'conflict.ended': ', ended {d}',
  'record.correct': 'Correct', 'record.void': 'Void', 'record.pending': 'not synced', 'record.corrected': 'corrected',
  'record.voided': 'voided', 'record.conflict': 'conflict', 'record.reason': 'Reason: {r}', 'kind.record': 'Record',
  'correct.title': 'Correct', 'correct.reason': 'Why (required)', 'correct.hint': 'Saving replaces the record; the old version stays in its history.',
  'reason.required': 'Please give a reason', 'reason.long': 'At most {n} characters',
  'void.title': 'Void a record', 'void.reason': 'Why (required)', 'void.confirm': 'Void it', 'void.cancel': 'Cancel',
  'void.hint': 'A voided record no longer counts; it and the reason stay in its history, seen by the township.', 'void.done': 'Voided',
  'draft.found': 'An unsaved draft ({t})', 'draft.restore': 'Continue the draft', 'draft.discard': 'Discard the draft',
  'cond.hypertension': 'Hypertension', 'cond.diabetes': 'Type 2 diabetes', 'cond.mental_disorder': 'Severe mental disorder',
  'cond.tuberculosis': 'Tuberculosis', 'sex.male': 'M', 'sex.female': 'F', 'sex.unknown': '?',
};

/** Field labels and choice labels: [zh, en]. */
export const FIELDS = {
  service_date: ['服务日期', 'Date'], mode: ['方式', 'Mode'], sbp: ['收缩压 mmHg', 'SBP mmHg'],
  dbp: ['舒张压 mmHg', 'DBP mmHg'], heart_rate: ['心率 次/分', 'Heart rate'], weight_kg: ['体重 kg', 'Weight kg'],
  target_weight_kg: ['目标体重 kg', 'Target weight'], bmi: ['体质指数 BMI', 'BMI'], target_bmi: ['目标BMI', 'Target BMI'],
  symptoms: ['症状', 'Symptoms'], cigarettes_per_day: ['日吸烟量 支', 'Cigarettes/day'],
  drinks_per_day: ['日饮酒量 两', 'Drinks/day'], exercise_times_per_week: ['运动 次/周', 'Exercise/week'],
  exercise_minutes: ['每次运动 分钟', 'Minutes'], salt_intake: ['摄盐', 'Salt'], mood_adjustment: ['心理调整', 'Mood'],
  compliance: ['遵医行为', 'Compliance'], medication_adherence: ['服药依从性', 'Adherence'],
  adverse_reactions: ['药物不良反应', 'Adverse reactions'], classification: ['此次随访分类', 'Classification'],
  medications: ['用药情况', 'Medications'], referral_reason: ['转诊原因', 'Referral reason'],
  referral_to: ['转诊机构', 'Referred to'], next_visit_date: ['下次随访日期', 'Next visit'], notes: ['备注', 'Notes'],
  fasting_glucose: ['空腹血糖 mmol/L', 'Fasting glucose'], hba1c: ['糖化血红蛋白 %', 'HbA1c %'],
  dorsal_foot_pulse: ['足背动脉搏动', 'Foot pulse'], staple_food_g: ['主食 g/天', 'Staple g/day'],
  hypoglycaemia: ['低血糖反应', 'Hypoglycaemia'], insulin: ['胰岛素', 'Insulin'],
  card_sighted: ['查验接种证', 'Card seen'], certificate_present: ['已建证', 'Certificate'],
  doses_given: ['已接种', 'Doses given'], missed_doses: ['漏种', 'Missed'], guardian_notified: ['已通知监护人', 'Guardian notified'],
  notified_via: ['通知方式', 'Notified via'], notified_on: ['通知日期', 'Notified on'],
  notification_outcome: ['通知结果', 'Outcome'], catch_up_result: ['补种结果', 'Catch-up'],
  found_by_active_search: ['主动搜索发现', 'Found by search'], school_entry_checked: ['入学查验', 'School entry'],
  activity_type: ['活动形式', 'Type'], place: ['地点', 'Place'], topic: ['主题', 'Topic'], presenter: ['主讲人', 'Presenter'],
  audience_type: ['参与人员类别', 'Audience'], audience_count: ['参与人数', 'Audience count'],
  materials: ['发放资料', 'Materials'], village_id: ['村', 'Village'], members_seen: ['见到的家庭成员', 'Members seen'],
  services_done: ['提供的服务', 'Services'], problems_found: ['发现的问题', 'Problems found'],
  temperature_c: ['体温 ℃', 'Temperature'], pulse: ['脉率 次/分', 'Pulse'], respiration: ['呼吸 次/分', 'Respiration'],
  sbp_left: ['左侧收缩压', 'SBP left'], dbp_left: ['左侧舒张压', 'DBP left'], sbp_right: ['右侧收缩压', 'SBP right'],
  dbp_right: ['右侧舒张压', 'DBP right'], height_cm: ['身高 cm', 'Height cm'], waist_cm: ['腰围 cm', 'Waist cm'],
  self_rated_health: ['健康状态自我评估', 'Self-rated health'], self_care_score: ['生活自理能力评分', 'Self-care score'],
  cognition_screen: ['认知功能', 'Cognition'], mood_screen: ['情感状态', 'Mood'], health_assessment: ['健康评价', 'Assessment'],
  guidance: ['健康指导', 'Guidance'], group_no: ['组', 'Group'], house_no: ['门牌号', 'House no.'],
  address: ['地址', 'Address'], head_name: ['户主姓名', 'Head of household'], phone: ['电话', 'Phone'],
  kitchen_ventilation: ['厨房排风', 'Kitchen ventilation'], fuel: ['燃料', 'Fuel'], drinking_water: ['饮水', 'Water'],
  toilet: ['厕所', 'Toilet'], animal_pen: ['禽畜栏', 'Animal pen'], low_income: ['低保/贫困户', 'Low income'],
  name: ['姓名', 'Name'], sex: ['性别', 'Sex'], birth_date: ['出生日期', 'Birth date'], national_id: ['身份证号', 'ID number'],
  relationship_to_head: ['与户主关系', 'Relationship'], contact_name: ['联系人', 'Contact'],
  contact_phone: ['联系人电话', 'Contact phone'], residence_type: ['户籍', 'Residence'], permanent: ['常住（半年以上）', 'Permanent'],
  ethnicity: ['民族', 'Ethnicity'], conditions: ['登记疾病', 'Conditions'], household_id: ['家庭', 'Household'],
  status: ['档案状态', 'Status'], moved_out_on: ['迁出日期', 'Moved out on'], died_on: ['死亡日期', 'Died on'], record_created_on: ['建档日期', 'Record opened on'],
  moved_in_on: ['迁入日期', 'Moved in on'], blood_type: ['血型', 'Blood type'], allergies: ['药物过敏史', 'Allergies'],
  past_history: ['既往史', 'Past history'], family_history: ['家族史', 'Family history'], disability: ['残疾情况', 'Disability'],
  payment_type: ['医疗费用支付方式', 'Payment'], pregnant: ['孕期', 'Pregnant'], managed_since: ['管理起始日期', 'Managed since'],
  diagnosed_on: ['确诊日期', 'Diagnosed on'], ended_on: ['结束管理日期', 'Ended on'],
  resident_id: ['居民', 'Resident'], kind: ['类型', 'Kind'], id: ['编号', 'Id'], _schema: ['记录', 'Record'],
};

export const OPTIONS = {
  mode: { clinic: ['门诊', 'Clinic'], home: ['家庭', 'Home'], phone: ['电话', 'Phone'], group: ['集中', 'Group'] },
  salt_intake: { light: ['轻', 'Light'], moderate: ['中', 'Moderate'], heavy: ['重', 'Heavy'] },
  mood_adjustment: { good: ['良好', 'Good'], fair: ['一般', 'Fair'], poor: ['差', 'Poor'] },
  compliance: { good: ['良好', 'Good'], fair: ['一般', 'Fair'], poor: ['差', 'Poor'] },
  medication_adherence: { regular: ['规律', 'Regular'], intermittent: ['间断', 'Intermittent'], none: ['不服药', 'None'] },
  classification: { controlled: ['控制满意', 'Controlled'], uncontrolled: ['控制不满意', 'Uncontrolled'],
    adverse_reaction: ['不良反应', 'Adverse reaction'], complication: ['并发症', 'Complication'] },
  dorsal_foot_pulse: { palpable: ['触及', 'Palpable'], weakened: ['减弱', 'Weakened'], absent: ['消失', 'Absent'] },
  hypoglycaemia: { none: ['无', 'None'], occasional: ['偶尔', 'Occasional'], frequent: ['频繁', 'Frequent'] },
  notified_via: { phone: ['电话', 'Phone'], home_visit: ['入户', 'Home visit'], in_person: ['当面', 'In person'], message: ['短信/微信', 'Message'], notice: ['通知单', 'Notice'] },
  activity_type: { lecture: ['讲座', 'Lecture'], consultation: ['咨询', 'Consultation'], bulletin_board: ['宣传栏', 'Bulletin board'],
    audio_visual: ['音像播放', 'Audio-visual'], printed_materials: ['印刷资料', 'Printed'], individual: ['个体化教育', 'Individual'] },
  self_rated_health: { satisfied: ['满意', 'Satisfied'], fairly_satisfied: ['基本满意', 'Fairly satisfied'],
    unsure: ['说不清楚', 'Unsure'], fairly_unsatisfied: ['不太满意', 'Fairly unsatisfied'], unsatisfied: ['不满意', 'Unsatisfied'] },
  cognition_screen: { negative: ['粗筛阴性', 'Negative'], positive: ['粗筛阳性', 'Positive'] },
  mood_screen: { negative: ['粗筛阴性', 'Negative'], positive: ['粗筛阳性', 'Positive'] },
  health_assessment: { normal: ['未发现异常', 'Normal'], abnormal: ['有异常', 'Abnormal'] },
  sex: { male: ['男', 'Male'], female: ['女', 'Female'], unknown: ['未知', 'Unknown'] },
  status: { active: ['在册', 'Active'], moved_out: ['已迁出', 'Moved out'], deceased: ['已死亡', 'Deceased'],
    lost: ['失访', 'Lost to follow-up'] },
  blood_type: { A: ['A型', 'A'], B: ['B型', 'B'], O: ['O型', 'O'], AB: ['AB型', 'AB'], unknown: ['不详', 'Unknown'] },
  residence_type: { registered: ['户籍', 'Registered'], non_registered: ['非户籍', 'Non-registered'] },
  symptoms: { none: ['无症状', 'None'], headache: ['头痛头晕', 'Headache'], nausea: ['恶心呕吐', 'Nausea'],
    tinnitus: ['眼花耳鸣', 'Tinnitus'], dyspnoea: ['呼吸困难', 'Dyspnoea'], palpitation: ['心悸胸闷', 'Palpitation'],
    nosebleed: ['鼻衄出血不止', 'Nosebleed'], numbness: ['四肢发麻', 'Numbness'], oedema: ['下肢水肿', 'Oedema'],
    polydipsia: ['多饮', 'Thirst'], polyuria: ['多尿', 'Polyuria'], blurred_vision: ['视力模糊', 'Blurred vision'] },
  services_done: { bp: ['测血压', 'BP'], glucose: ['测血糖', 'Glucose'], education: ['健康指导', 'Advice'],
    record_update: ['更新档案', 'Record update'], contract: ['家庭医生签约', 'Contract'], medication: ['用药指导', 'Medication'] },
  guidance: { regular_followup: ['纳入慢病管理', 'Chronic care'], quit_smoking: ['戒烟', 'Quit smoking'],
    limit_alcohol: ['限酒', 'Limit alcohol'], diet: ['饮食', 'Diet'], exercise: ['锻炼', 'Exercise'],
    fall_prevention: ['防跌倒', 'Fall prevention'], vaccination: ['疫苗接种', 'Vaccination'] },
  conditions: { hypertension: ['高血压', 'Hypertension'], diabetes: ['2型糖尿病', 'Type 2 diabetes'] },
};

const EN_BY_CODE = {
  required: 'Required', null: 'Required', type: 'Wrong format', range: 'Out of range', length: 'Wrong length',
  choice: 'Not an allowed choice', unknown_field: 'Unknown field', date_in_future: 'Date is in the future',
  dbp_not_below_sbp: 'DBP must be below SBP', before_service: 'Before the service date',
  phone_format: '11-digit mobile or landline with area code', name_chars: 'Letters and "·" only',
  national_id_format: '18 characters', national_id_checksum: 'Check digit wrong',
  national_id_birth_mismatch: 'ID birth date differs',
  too_short: 'Too short', too_long: 'Too long', too_common: 'Too common, easy to guess',
  contains_username: 'Must not contain the username', same: 'Same as the current password',
  wrong: 'Wrong password', national_id_sex_mismatch: 'ID sex differs',
  before_birth: 'Before the birth date', date_too_early: 'Date too early', national_id_birth_date: 'Birth date in ID invalid',
};

let lang = (typeof localStorage !== 'undefined' && localStorage.getItem('lang')) || 'zh';

/**
 * The current language, 'zh' or 'en'.
 * @returns {string}
 */
export function language() {
  return lang;
}

/**
 * Switch language (kept in localStorage: it is not personal data).
 * @param {string} value
 */
export function setLanguage(value) {
  lang = value === 'en' ? 'en' : 'zh';
  localStorage.setItem('lang', lang);
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
}

/**
 * A screen text, with {name} placeholders filled.
 * @param {string} key
 * @param {object} [vars]
 * @returns {string}
 */
export function t(key, vars = {}) {
  const table = lang === 'en' ? EN : ZH;
  const text = table[key] ?? ZH[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : ''));
}

/**
 * A field's label.
 * @param {string} name
 * @returns {string}
 */
export function fieldLabel(name) {
  const pair = FIELDS[name];
  return pair ? pair[lang === 'en' ? 1 : 0] : name;
}

/**
 * A choice's label.
 * @param {string} field
 * @param {string} value
 * @returns {string}
 */
export function optionLabel(field, value) {
  const pair = OPTIONS[field] && OPTIONS[field][value];
  return pair ? pair[lang === 'en' ? 1 : 0] : value;
}

/**
 * An error entry as shown: the server's Chinese message, and in English mode an English one.
 * @param {{code: string, message: string}} e
 * @returns {string}
 */
export function errorText(e) {
  if (lang === 'en' && EN_BY_CODE[e.code]) return `${EN_BY_CODE[e.code]} (${e.message})`;
  return e.message;
}
