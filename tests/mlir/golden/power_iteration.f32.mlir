!f32_r1 = memref<?xf32, strided<[?], offset: ?>>
!f32_r2 = memref<?x?xf32, strided<[?, ?], offset: ?>>
module {
  func.func private @optc_progress_1(i64, i64, f64) -> i32
  func.func @optc_power_iteration(%A: !f32_r2, %tol: f32, %max_iter: i64, %report: i1) -> (f32, memref<?xf32>, i64, i1, memref<?xf32>, i32, i64, i64, i64, i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c0_i32 = arith.constant 0 : i32
    %true = arith.constant true
    %c1_i32 = arith.constant 1 : i32
    %c2_i32 = arith.constant 2 : i32
    %c64 = arith.constant 64 : index
    %c0_i64 = arith.constant 0 : i64
    %false = arith.constant false
    %cst_f32 = arith.constant 0.0 : f32
    %c1_i64 = arith.constant 1 : i64
    %c2 = arith.constant 2 : index
    %c3_i32 = arith.constant 3 : i32
    %c3 = arith.constant 3 : index
    %0 = memref.dim %A, %c0 : !f32_r2 loc("power.opt":5:1)
    %1 = memref.dim %A, %c1 : !f32_r2 loc("power.opt":5:1)
    %status = memref.alloca() : memref<i32> loc("power.opt":5:1)
    memref.store %c0_i32, %status[] : memref<i32> loc("power.opt":5:1)
    %details = memref.alloca() : memref<4xi64> loc("power.opt":5:1)
    %2 = arith.constant 1 : i64 loc("power.opt":6:23)
    %3 = arith.cmpi sge, %max_iter, %2 : i64 loc("power.opt":6:11)
    %4 = arith.xori %3, %true : i1 loc("power.opt":6:3)
    %5 = memref.load %status[] : memref<i32> loc("power.opt":6:3)
    %6 = arith.cmpi eq, %5, %c0_i32 : i32 loc("power.opt":6:3)
    %7 = arith.andi %4, %6 : i1 loc("power.opt":6:3)
    %8 = arith.select %7, %c1_i32, %5 : i32 loc("power.opt":6:3)
    memref.store %8, %status[] : memref<i32> loc("power.opt":6:3)
    %9 = arith.index_cast %0 : index to i64 loc("power.opt":7:18)
    %10 = arith.constant 1.0 : f32 loc("power.opt":7:13)
    %11 = memref.load %status[] : memref<i32> loc("power.opt":7:13)
    %12 = arith.cmpi eq, %11, %c0_i32 : i32 loc("power.opt":7:13)
    %13:5 = scf.if %12 -> (f32, memref<?xf32>, i64, i1, memref<?xf32>) {
      %14 = arith.index_cast %9 : i64 to index loc("power.opt":7:13)
      %15 = arith.cmpi slt, %14, %c0 : index loc("power.opt":7:13)
      %16 = arith.maxsi %14, %c0 : index loc("power.opt":7:13)
      %17 = memref.load %status[] : memref<i32> loc("power.opt":7:13)
      %18 = arith.cmpi eq, %17, %c0_i32 : i32 loc("power.opt":7:13)
      %19 = arith.andi %15, %18 : i1 loc("power.opt":7:13)
      %20 = arith.select %19, %c2_i32, %17 : i32 loc("power.opt":7:13)
      memref.store %20, %status[] : memref<i32> loc("power.opt":7:13)
      %21 = memref.load %details[%c0] : memref<4xi64> loc("power.opt":7:13)
      %22 = arith.select %19, %9, %21 : i64 loc("power.opt":7:13)
      memref.store %22, %details[%c0] : memref<4xi64> loc("power.opt":7:13)
      %23 = memref.alloc(%16) : memref<?xf32> loc("power.opt":7:13)
      scf.for %i = %c0 to %16 step %c1 {
        memref.store %10, %23[%i] : memref<?xf32> loc("power.opt":7:13)
      } loc("power.opt":7:13)
      %24 = arith.sitofp %9 : i64 to f32 loc("power.opt":7:23)
      %25 = math.sqrt %24 : f32 loc("power.opt":7:23)
      %26 = memref.load %status[] : memref<i32> loc("power.opt":7:23)
      %27 = arith.cmpi eq, %26, %c0_i32 : i32 loc("power.opt":7:23)
      %28:5 = scf.if %27 -> (f32, memref<?xf32>, i64, i1, memref<?xf32>) {
        %29 = arith.constant 0.0 : f32 loc("power.opt":8:22)
        %30 = arith.constant 0 : i64 loc("power.opt":10:12)
        %v = memref.alloc(%16) : memref<?xf32> loc("power.opt":7:13)
        scf.for %i_1 = %c0 to %16 step %c1 {
          %31 = memref.load %23[%i_1] : memref<?xf32> loc("power.opt":7:13)
          %32 = arith.divf %31, %25 : f32 loc("power.opt":7:13)
          memref.store %32, %v[%i_1] : memref<?xf32> loc("power.opt":7:13)
        } loc("power.opt":7:13)
        %trace = memref.alloc(%c64) : memref<?xf32> loc("power.opt":10:3)
        %33 = arith.subi %max_iter, %30 : i64 loc("power.opt":10:3)
        %34 = arith.maxsi %33, %c0_i64 : i64 loc("power.opt":10:3)
        %35:4 = scf.while (%36 = %30, %37 = %29, %38 = %trace, %39 = %false) : (i64, f32, memref<?xf32>, i1) -> (i64, f32, memref<?xf32>, i1) {
          %40 = arith.cmpi slt, %36, %max_iter : i64 loc("power.opt":10:3)
          %41 = arith.xori %39, %true : i1 loc("power.opt":10:3)
          %42 = arith.andi %40, %41 : i1 loc("power.opt":10:3)
          %43 = memref.load %status[] : memref<i32> loc("power.opt":10:3)
          %44 = arith.cmpi eq, %43, %c0_i32 : i32 loc("power.opt":10:3)
          %45 = arith.andi %42, %44 : i1 loc("power.opt":10:3)
          scf.condition(%45) %36, %37, %38, %39 : i64, f32, memref<?xf32>, i1 loc("power.opt":10:3)
        } do {
        ^bb0(%46: i64, %47: f32, %48: memref<?xf32>, %49: i1):
          %w = memref.alloc(%0) : memref<?xf32> loc("power.opt":11:9)
          scf.for %i_2 = %c0 to %0 step %c1 {
            %50 = scf.for %i_3 = %c0 to %1 step %c1 iter_args(%51 = %cst_f32) -> (f32) {
              %52 = memref.load %A[%i_2, %i_3] : !f32_r2 loc("power.opt":11:9)
              %53 = memref.load %v[%i_3] : memref<?xf32> loc("power.opt":11:9)
              %54 = arith.mulf %52, %53 : f32 loc("power.opt":11:9)
              %55 = arith.addf %51, %54 : f32 loc("power.opt":11:9)
              scf.yield %55 : f32 loc("power.opt":11:9)
            } loc("power.opt":11:9)
            memref.store %50, %w[%i_2] : memref<?xf32> loc("power.opt":11:9)
          } loc("power.opt":11:9)
          %56 = memref.alloc(%0) : memref<?xf32> loc("power.opt":12:14)
          scf.for %i_4 = %c0 to %0 step %c1 {
            %57 = memref.load %w[%i_4] : memref<?xf32> loc("power.opt":12:14)
            %58 = arith.mulf %57, %57 : f32 loc("power.opt":12:14)
            memref.store %58, %56[%i_4] : memref<?xf32> loc("power.opt":12:14)
          } loc("power.opt":12:14)
          %59 = scf.for %i_5 = %c0 to %0 step %c1 iter_args(%60 = %cst_f32) -> (f32) {
            %61 = memref.load %56[%i_5] : memref<?xf32> loc("power.opt":12:14)
            %62 = arith.addf %60, %61 : f32 loc("power.opt":12:14)
            scf.yield %62 : f32 loc("power.opt":12:14)
          } loc("power.opt":12:14)
          %63 = math.sqrt %59 : f32 loc("power.opt":12:14)
          %v_next = memref.alloc(%0) : memref<?xf32> loc("power.opt":12:10)
          scf.for %i_6 = %c0 to %0 step %c1 {
            %64 = memref.load %w[%i_6] : memref<?xf32> loc("power.opt":12:10)
            %65 = arith.divf %64, %63 : f32 loc("power.opt":12:10)
            memref.store %65, %v_next[%i_6] : memref<?xf32> loc("power.opt":12:10)
          } loc("power.opt":12:10)
          %66 = memref.alloc(%0) : memref<?xf32> loc("power.opt":13:27)
          scf.for %i_7 = %c0 to %0 step %c1 {
            %67 = scf.for %i_8 = %c0 to %1 step %c1 iter_args(%68 = %cst_f32) -> (f32) {
              %69 = memref.load %A[%i_7, %i_8] : !f32_r2 loc("power.opt":13:27)
              %70 = memref.load %v_next[%i_8] : memref<?xf32> loc("power.opt":13:27)
              %71 = arith.mulf %69, %70 : f32 loc("power.opt":13:27)
              %72 = arith.addf %68, %71 : f32 loc("power.opt":13:27)
              scf.yield %72 : f32 loc("power.opt":13:27)
            } loc("power.opt":13:27)
            memref.store %67, %66[%i_7] : memref<?xf32> loc("power.opt":13:27)
          } loc("power.opt":13:27)
          %73 = scf.for %i_9 = %c0 to %0 step %c1 iter_args(%74 = %cst_f32) -> (f32) {
            %75 = memref.load %v_next[%i_9] : memref<?xf32> loc("power.opt":13:19)
            %76 = memref.load %66[%i_9] : memref<?xf32> loc("power.opt":13:19)
            %77 = arith.mulf %75, %76 : f32 loc("power.opt":13:19)
            %78 = arith.addf %74, %77 : f32 loc("power.opt":13:19)
            scf.yield %78 : f32 loc("power.opt":13:19)
          } loc("power.opt":13:19)
          %79 = arith.subf %73, %47 : f32 loc("power.opt":10:34)
          %80 = math.absf %79 : f32 loc("power.opt":10:30)
          %81 = math.absf %73 : f32 loc("power.opt":10:69)
          %82 = arith.mulf %tol, %81 : f32 loc("power.opt":10:63)
          %83 = arith.cmpf ole, %80, %82 : f32 loc("power.opt":10:30)
          scf.for %i_10 = %c0 to %16 step %c1 {
            %84 = memref.load %v_next[%i_10] : memref<?xf32> loc("power.opt":10:3)
            memref.store %84, %v[%i_10] : memref<?xf32> loc("power.opt":10:3)
          } loc("power.opt":10:3)
          %85 = arith.subi %46, %30 : i64 loc("power.opt":10:3)
          %86 = arith.addi %85, %c1_i64 : i64 loc("power.opt":10:3)
          %87 = arith.index_cast %86 : i64 to index loc("power.opt":10:3)
          %88 = memref.dim %48, %c0 : memref<?xf32> loc("power.opt":10:3)
          %89 = arith.cmpi sgt, %87, %88 : index loc("power.opt":10:3)
          %90 = scf.if %89 -> (memref<?xf32>) {
            %91 = arith.muli %88, %c2 : index loc("power.opt":10:3)
            %92 = memref.alloc(%91) : memref<?xf32> loc("power.opt":10:3)
            scf.for %i_11 = %c0 to %88 step %c1 {
              %93 = memref.load %48[%i_11] : memref<?xf32> loc("power.opt":10:3)
              memref.store %93, %92[%i_11] : memref<?xf32> loc("power.opt":10:3)
            } loc("power.opt":10:3)
            memref.dealloc %48 : memref<?xf32> loc("power.opt":10:3)
            scf.yield %92 : memref<?xf32> loc("power.opt":10:3)
          } else {
            scf.yield %48 : memref<?xf32> loc("power.opt":10:3)
          } loc("power.opt":10:3)
          %94 = arith.subi %87, %c1 : index loc("power.opt":10:3)
          memref.store %73, %90[%94] : memref<?xf32> loc("power.opt":10:3)
          %95 = arith.extf %73 : f32 to f64 loc("power.opt":10:3)
          %96 = memref.load %status[] : memref<i32> loc("power.opt":10:3)
          %97 = arith.cmpi eq, %96, %c0_i32 : i32 loc("power.opt":10:3)
          %98 = arith.andi %report, %97 : i1 loc("power.opt":10:3)
          scf.if %98 {
            %99 = func.call @optc_progress_1(%86, %34, %95) : (i64, i64, f64) -> i32 loc("power.opt":10:3)
            %100 = arith.cmpi ne, %99, %c0_i32 : i32 loc("power.opt":10:3)
            %101 = memref.load %status[] : memref<i32> loc("power.opt":10:3)
            %102 = arith.cmpi eq, %101, %c0_i32 : i32 loc("power.opt":10:3)
            %103 = arith.andi %100, %102 : i1 loc("power.opt":10:3)
            %104 = arith.select %103, %c3_i32, %101 : i32 loc("power.opt":10:3)
            memref.store %104, %status[] : memref<i32> loc("power.opt":10:3)
          } loc("power.opt":10:3)
          memref.dealloc %w : memref<?xf32> loc("power.opt":10:3)
          memref.dealloc %56 : memref<?xf32> loc("power.opt":10:3)
          memref.dealloc %v_next : memref<?xf32> loc("power.opt":10:3)
          memref.dealloc %66 : memref<?xf32> loc("power.opt":10:3)
          %105 = arith.addi %46, %c1_i64 : i64 loc("power.opt":10:3)
          scf.yield %105, %73, %90, %83 : i64, f32, memref<?xf32>, i1 loc("power.opt":10:3)
        } loc("power.opt":10:3)
        %106 = arith.subi %35#0, %30 : i64 loc("power.opt":10:3)
        %107 = arith.index_cast %106 : i64 to index loc("power.opt":10:3)
        %108 = memref.dim %35#2, %c0 : memref<?xf32> loc("power.opt":10:3)
        %109 = memref.cast %35#2 : memref<?xf32> to !f32_r1 loc("power.opt":10:3)
        %110 = memref.subview %109[0] [%107] [1] : !f32_r1 to !f32_r1 loc("power.opt":10:3)
        %111 = memref.load %status[] : memref<i32> loc("power.opt":10:3)
        %112 = arith.cmpi eq, %111, %c0_i32 : i32 loc("power.opt":10:3)
        %113:5 = scf.if %112 -> (f32, memref<?xf32>, i64, i1, memref<?xf32>) {
          %114 = memref.alloc(%107) : memref<?xf32> loc("power.opt":5:1)
          scf.for %i_12 = %c0 to %107 step %c1 {
            %115 = memref.load %110[%i_12] : !f32_r1 loc("power.opt":5:1)
            memref.store %115, %114[%i_12] : memref<?xf32> loc("power.opt":5:1)
          } loc("power.opt":5:1)
          scf.yield %35#1, %v, %106, %35#3, %114 : f32, memref<?xf32>, i64, i1, memref<?xf32> loc("power.opt":5:1)
        } else {
          memref.dealloc %v : memref<?xf32> loc("power.opt":5:1)
          %116 = memref.alloc(%c0) : memref<?xf32> loc("power.opt":5:1)
          %117 = memref.alloc(%c0) : memref<?xf32> loc("power.opt":5:1)
          scf.yield %cst_f32, %116, %c0_i64, %false, %117 : f32, memref<?xf32>, i64, i1, memref<?xf32> loc("power.opt":5:1)
        } loc("power.opt":5:1)
        memref.dealloc %35#2 : memref<?xf32> loc("power.opt":5:1)
        scf.yield %113#0, %113#1, %113#2, %113#3, %113#4 : f32, memref<?xf32>, i64, i1, memref<?xf32> loc("power.opt":5:1)
      } else {
        %118 = memref.alloc(%c0) : memref<?xf32> loc("power.opt":5:1)
        %119 = memref.alloc(%c0) : memref<?xf32> loc("power.opt":5:1)
        scf.yield %cst_f32, %118, %c0_i64, %false, %119 : f32, memref<?xf32>, i64, i1, memref<?xf32> loc("power.opt":5:1)
      } loc("power.opt":5:1)
      memref.dealloc %23 : memref<?xf32> loc("power.opt":5:1)
      scf.yield %28#0, %28#1, %28#2, %28#3, %28#4 : f32, memref<?xf32>, i64, i1, memref<?xf32> loc("power.opt":5:1)
    } else {
      %120 = memref.alloc(%c0) : memref<?xf32> loc("power.opt":5:1)
      %121 = memref.alloc(%c0) : memref<?xf32> loc("power.opt":5:1)
      scf.yield %cst_f32, %120, %c0_i64, %false, %121 : f32, memref<?xf32>, i64, i1, memref<?xf32> loc("power.opt":5:1)
    } loc("power.opt":5:1)
    %122 = memref.load %status[] : memref<i32> loc("power.opt":5:1)
    %123 = memref.load %details[%c0] : memref<4xi64> loc("power.opt":5:1)
    %124 = memref.load %details[%c1] : memref<4xi64> loc("power.opt":5:1)
    %125 = memref.load %details[%c2] : memref<4xi64> loc("power.opt":5:1)
    %126 = memref.load %details[%c3] : memref<4xi64> loc("power.opt":5:1)
    return %13#0, %13#1, %13#2, %13#3, %13#4, %122, %123, %124, %125, %126 : f32, memref<?xf32>, i64, i1, memref<?xf32>, i32, i64, i64, i64, i64 loc("power.opt":5:1)
  } loc("power.opt":5:1)
}
